import { ProjectsError } from '../protocol/errors.js';
import { optionKey, type ParsedArgv, parseArgv } from './argv.js';
import { COMMANDS, GLOBAL_OPTIONS } from './commands/registry.js';
import { Factory } from './factory.js';
import { type IOStreams, systemIO } from './io.js';

export interface MainDependencies {
  io?: IOStreams;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolves when the user interrupts (Ctrl-C); the command then ends with INTERRUPTED (exit 130). */
  interrupted?: Promise<void>;
}

/** Runs the CLI with `argv` (without `node` and the script) and resolves to the exit code. Never exits itself. */
export async function main(argv: string[], deps: MainDependencies = {}): Promise<number> {
  const io = deps.io ?? systemIO();
  const env = deps.env ?? process.env;
  const cwd = deps.cwd ?? process.cwd();
  const run = (parsed: ParsedArgv) =>
    runCommand(parsed, new Factory(io, env, cwd, parsed.globals), deps.interrupted);
  const parsed = parseArgv(argv, COMMANDS, GLOBAL_OPTIONS);
  if (parsed) return run(parsed);
  // Help, usage errors and command lines the fast parser leaves alone: commander, loaded only now.
  const { parseWithCommander } = await import('./program.js');
  return parseWithCommander(argv, { io, env, cwd }, run);
}

async function runCommand(
  { spec, path, input }: ParsedArgv,
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
