import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { packageRoot } from '../core/paths.js';
import { ProjectsError } from '../protocol/errors.js';
import type { CommandInput, CommandSpec } from './command.js';
import { COMMANDS } from './commands/registry.js';
import { DEFAULT_GLOBALS, Factory, type GlobalOptions } from './factory.js';
import { type IOStreams, systemIO } from './io.js';

export interface MainDependencies {
  io?: IOStreams;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolves when the user interrupts (Ctrl-C); the command then ends with INTERRUPTED (exit 130). */
  interrupted?: Promise<void>;
}

export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Runs the CLI with `argv` (without `node` and the script) and resolves to the exit code. Never exits itself. */
export async function main(argv: string[], deps: MainDependencies = {}): Promise<number> {
  const io = deps.io ?? systemIO();
  const env = deps.env ?? process.env;
  const cwd = deps.cwd ?? process.cwd();
  // Flags that shape output are read before parsing, so that even a usage error honours them.
  const early: GlobalOptions = {
    ...DEFAULT_GLOBALS,
    json: argv.includes('--json'),
    debug: argv.includes('--debug'),
    color: !argv.includes('--no-color'),
  };
  let exitCode = 0;
  const chain = commandChain(argv);
  prefetchCommand(chain, argv);
  const program = buildProgram(
    io,
    commandsToRegister(chain),
    early.json,
    async (spec, path, input, globals) => {
      exitCode = await runCommand(spec, path, input, new Factory(io, env, cwd, globals), deps.interrupted);
    },
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
    const factory = new Factory(io, env, cwd, early);
    // The command words argv named, for the envelope of a usage error (`projects bogus` → `projects`).
    const path = chain.map((spec) => spec.name).join(' ');
    factory.output.command = path || 'projects';
    const message = error.message.replace(/^error:\s*/i, '');
    if (!early.json && error.code !== 'commander.help') return 2; // commander already explained it on stderr
    return factory.output.failure(
      new ProjectsError(
        'INVALID_ARGUMENT',
        error.code === 'commander.help' ? 'a subcommand is required' : message,
        {
          details: { reason: error.code.replace('commander.', '') },
          next: [{ command: helpCommand(path), why: 'see the usage' }],
        },
      ),
    );
  }
}

type Dispatch = (
  spec: CommandSpec,
  path: string,
  input: CommandInput,
  globals: GlobalOptions,
) => Promise<void>;

function buildProgram(io: IOStreams, commands: CommandSpec[], json: boolean, dispatch: Dispatch): Command {
  const program = new Command('projects')
    .description('From a repository to a live, paid deployment, with a human in charge of money and terms.')
    .version(cliVersion(), '-V, --version')
    .option('--json', 'print exactly one JSON envelope on stdout')
    .option(
      '-y, --yes',
      'accept defaults for confirmations that policy allows (never satisfies a human gate)',
    )
    .option('--non-interactive', 'never prompt; fail with the next commands to run instead')
    .option(
      '--orchestrator <url>',
      'orchestrator URL (default: project, then PROJECTS_ORCHESTRATOR_URL, then sandbox)',
    )
    .option('--project <dir>', 'project directory (default: nearest projects.json)')
    .option('--token <token>', 'credential to use (default: PROJECTS_TOKEN, then the stored login)')
    .option('--debug', 'log requests and timings on stderr (secrets redacted)')
    .option('--no-color', 'disable colour (NO_COLOR is honoured too)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      // Under --json, commander's own error text is replaced by the envelope.
      writeErr: (text) => (json ? undefined : io.stderr.write(text)),
    })
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ projects sandbox start && projects login',
        '  $ projects init my-app --template worker',
        '  $ projects provision edge/registrar:domain --name superseal.club',
        '  $ projects deploy --prod',
        '',
        'Exit codes: 0 ok, 1 error, 2 usage, 3 auth required, 4 action required, 5 spend refused,',
        '            6 frozen, 7 conflict, 8 unavailable, 130 interrupted.',
      ].join('\n'),
    );
  for (const spec of commands) addCommand(program, spec, spec.name, dispatch);
  return program;
}

/** Global options whose next word is their value, not a command name. */
const GLOBAL_VALUE_OPTIONS = new Set(['--orchestrator', '--project', '--token']);

/**
 * The commands commander needs to know for this argv. Building all thirty-odd commands with their options
 * and help costs more than most commands' own work, so when argv names a command only that one is built;
 * help and unknown words (which need the full list for suggestions) get them all.
 */
function commandsToRegister(chain: CommandSpec[]): CommandSpec[] {
  return chain.length ? chain.slice(0, 1) : COMMANDS;
}

/** The commands argv names (`token create` → [token, create]), up to its first word that is not one. */
function commandChain(argv: string[]): CommandSpec[] {
  const chain: CommandSpec[] = [];
  let specs: CommandSpec[] | undefined = COMMANDS;
  for (let index = 0; index < argv.length && specs; index++) {
    const word = argv[index] as string;
    if (GLOBAL_VALUE_OPTIONS.has(word)) index++;
    else if (!word.startsWith('-')) {
      const spec: CommandSpec | undefined = findCommand(specs, word);
      if (!spec) break;
      chain.push(spec);
      specs = spec.subcommands;
    }
  }
  return chain;
}

/**
 * Starts loading the named command's module while commander parses argv, so that reading its files
 * overlaps with that work; the dispatch later awaits the same (cached) module. Not for help requests.
 */
function prefetchCommand(chain: CommandSpec[], argv: string[]): void {
  if (argv.some((arg) => arg === '--help' || arg === '-h')) return;
  chain
    .at(-1)
    ?.load?.()
    .catch(() => undefined); // a failure surfaces when the dispatch loads it again
}

function findCommand(specs: CommandSpec[], word: string): CommandSpec | undefined {
  return specs.find((spec) => spec.name === word || spec.aliases?.includes(word));
}

function addCommand(parent: Command, spec: CommandSpec, path: string, dispatch: Dispatch): void {
  const command = parent
    .command(spec.name)
    .description(spec.description ?? spec.summary)
    .summary(spec.summary);
  for (const alias of spec.aliases ?? []) command.alias(alias);
  for (const arg of spec.args ?? []) command.argument(arg);
  for (const option of spec.options ?? []) {
    const built = new Option(option.flags, option.description);
    if (option.default !== undefined) built.default(option.default);
    if (option.choices) built.choices(option.choices);
    command.addOption(built);
  }
  command.copyInheritedSettings(parent);
  if (spec.examples?.length) {
    command.addHelpText(
      'after',
      `\nExamples:\n${spec.examples.map((example) => `  $ ${example}`).join('\n')}`,
    );
  }
  for (const sub of spec.subcommands ?? []) addCommand(command, sub, `${path} ${sub.name}`, dispatch);
  // A command with subcommands may still have its own action (`deploy [dir]` beside `deploy list`).
  if (spec.subcommands?.length && !spec.load && !spec.args?.length && !spec.options?.length) return;
  command.action(async (...params: unknown[]) => {
    const self = params.at(-1) as Command;
    const { json, yes, nonInteractive, orchestrator, project, token, debug, color } = self.optsWithGlobals();
    const globals: GlobalOptions = {
      json: Boolean(json),
      yes: Boolean(yes),
      nonInteractive: Boolean(nonInteractive),
      orchestrator: orchestrator as string | undefined,
      project: project as string | undefined,
      token: token as string | undefined,
      debug: Boolean(debug),
      color: color !== false,
    };
    const args = self.processedArgs.flatMap((value: unknown) =>
      value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)],
    );
    await dispatch(spec, path, { args, options: self.opts() }, globals);
  });
}

async function runCommand(
  spec: CommandSpec,
  path: string,
  input: CommandInput,
  factory: Factory,
  interrupted: Promise<void> | undefined,
): Promise<number> {
  const { output } = factory;
  output.command = path;
  for (const option of spec.options ?? []) {
    if (option.secret)
      factory.redactor.register(input.options[optionKey(option.flags)] as string | undefined);
  }
  try {
    if (spec.needsProject) factory.requireProject();
    if (!spec.load) {
      throw new ProjectsError('NOT_IMPLEMENTED', `'projects ${path}' is not built yet in this version`, {
        next: [{ command: 'projects --help', why: 'see the commands that work today' }],
      });
    }
    const module = await spec.load();
    const work = module.run(factory, input);
    const result = await (interrupted
      ? Promise.race([work, interrupted.then(() => Promise.reject(interruptedError()))])
      : work);
    return await output.success(result);
  } catch (error) {
    return output.failure(asProjectsError(error));
  }
}

function interruptedError(): ProjectsError {
  return new ProjectsError('INTERRUPTED', 'interrupted; rerun the same command to resume where it stopped');
}

function asProjectsError(error: unknown): ProjectsError {
  if (error instanceof ProjectsError) return error;
  // @inquirer/prompts signals Ctrl-C as an ExitPromptError.
  if (error instanceof Error && error.name === 'ExitPromptError') return interruptedError();
  const message = error instanceof Error ? error.message : String(error);
  return new ProjectsError('INTERNAL', `unexpected error: ${message}`, { cause: error });
}

/** `--max-price <usd>` → `maxPrice`, as commander names it. */
function optionKey(flags: string): string {
  const long = flags.split(/[ ,]+/).find((part) => part.startsWith('--')) ?? '';
  return long.replace(/^--(no-)?/, '').replace(/-([a-z])/g, (_m, letter: string) => letter.toUpperCase());
}

function helpCommand(path: string): string {
  return path ? `projects ${path} --help` : 'projects --help';
}
