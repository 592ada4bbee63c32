import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { packageRoot } from '../package-root.js';
import { ProjectsError } from '../protocol/errors.js';
import { namedCommands, type ParsedArgv } from './argv.js';
import type { CommandSpec, OptionSpec } from './command.js';
import { COMMANDS, GLOBAL_OPTIONS } from './commands/registry.js';
import { DEFAULT_GLOBALS, Factory, globalsFrom } from './factory.js';
import type { IOStreams } from './io.js';

/** Runs a parsed command line and resolves to its exit code. */
export type Dispatch = (parsed: ParsedArgv) => Promise<number>;

export interface CommanderContext {
  io: IOStreams;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * The slow path: commander parses argv, prints help, and explains usage errors (exit 2, or an
 * INVALID_ARGUMENT envelope under --json). Loaded only for what the fast parser (argv.ts) leaves to it.
 */
export async function parseWithCommander(
  argv: string[],
  context: CommanderContext,
  dispatch: Dispatch,
): Promise<number> {
  const { io, env, cwd } = context;
  // Flags that shape output are read before parsing, so that even a usage error honours them.
  const json = argv.includes('--json');
  let exitCode = 0;
  const chain = namedCommands(argv, COMMANDS, GLOBAL_OPTIONS);
  const program = buildProgram(io, commandsToRegister(argv, chain), json, async (parsed) => {
    exitCode = await dispatch(parsed);
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // Help asked for (`--help`, `help <command>`) and `--version` end with exit code 0.
    if (error.exitCode === 0) return 0;
    const factory = new Factory(io, env, cwd, {
      ...DEFAULT_GLOBALS,
      json,
      debug: argv.includes('--debug'),
      color: !argv.includes('--no-color'),
    });
    // The command words argv named, for the envelope of a usage error (`projects bogus` → `projects`).
    const path = chain.map((spec) => spec.name).join(' ');
    factory.output.command = path || 'projects';
    const message = error.message.replace(/^error:\s*/i, '');
    if (!json && error.code !== 'commander.help') return 2; // commander already explained it on stderr
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

function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

type Action = (parsed: ParsedArgv) => Promise<void>;

function buildProgram(io: IOStreams, commands: CommandSpec[], json: boolean, action: Action): Command {
  const program = new Command('projects')
    .description('From a repository to a live, paid deployment, with a human in charge of money and terms.')
    .version(cliVersion(), '-V, --version');
  for (const option of GLOBAL_OPTIONS) program.addOption(commanderOption(option));
  program
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
  for (const spec of commands) addCommand(program, spec, spec.name, action);
  return program;
}

/**
 * The commands commander needs to know for this argv. Building all thirty-odd commands with their options
 * and help costs more than most commands' own work, so when argv names a command only that one is built.
 * Help lists them all and an unknown word is matched against them all; anything else (`--json -V`, a
 * misspelt global flag) needs none.
 */
function commandsToRegister(argv: string[], chain: CommandSpec[]): CommandSpec[] {
  if (chain.length) return chain.slice(0, 1);
  const needsAll =
    argv.length === 0 || argv.some((word) => word === '--help' || word === '-h' || !word.startsWith('-'));
  return needsAll ? COMMANDS : [];
}

function commanderOption(option: OptionSpec): Option {
  const built = new Option(option.flags, option.description);
  if (option.default !== undefined) built.default(option.default);
  if (option.choices) built.choices(option.choices);
  return built;
}

function addCommand(parent: Command, spec: CommandSpec, path: string, action: Action): void {
  const command = parent
    .command(spec.name)
    .description(spec.description ?? spec.summary)
    .summary(spec.summary);
  for (const alias of spec.aliases ?? []) command.alias(alias);
  for (const arg of spec.args ?? []) command.argument(arg);
  for (const option of spec.options ?? []) command.addOption(commanderOption(option));
  command.copyInheritedSettings(parent);
  if (spec.examples?.length) {
    command.addHelpText(
      'after',
      `\nExamples:\n${spec.examples.map((example) => `  $ ${example}`).join('\n')}`,
    );
  }
  for (const sub of spec.subcommands ?? []) addCommand(command, sub, `${path} ${sub.name}`, action);
  // A command with subcommands may still have its own action (`deploy [dir]` beside `deploy list`).
  if (spec.subcommands?.length && !spec.load && !spec.args?.length && !spec.options?.length) return;
  command.action(async (...params: unknown[]) => {
    const self = params.at(-1) as Command;
    const args = self.processedArgs.flatMap((value: unknown) =>
      value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)],
    );
    await action({
      spec,
      path,
      input: { args, options: self.opts() },
      globals: globalsFrom(self.optsWithGlobals()),
    });
  });
}

function helpCommand(path: string): string {
  return path ? `projects ${path} --help` : 'projects --help';
}
