import type { Factory } from './factory.js';
import type { CommandResult } from './output.js';

/** What the parser hands a command: positional arguments and its own options (globals live on the factory). */
export interface CommandInput {
  args: string[];
  options: Record<string, unknown>;
}

/** A command's implementation module (`src/cli/commands/<name>/index.ts`), loaded only when it runs. */
export interface CommandModule {
  run(factory: Factory, input: CommandInput): Promise<CommandResult>;
}

export interface OptionSpec {
  /** commander syntax: `--name <name>`, `--prod`, `--config <key=value...>`. */
  flags: string;
  description: string;
  default?: string | boolean;
  choices?: string[];
  /** The value is a secret: registered with the redactor before anything runs. */
  secret?: boolean;
}

/**
 * A command's static description: cheap to import, so `--help` never loads an implementation.
 * `load` is absent while the command is not built yet; it then fails with NOT_IMPLEMENTED.
 */
export interface CommandSpec {
  name: string;
  aliases?: string[];
  summary: string;
  description?: string;
  /** commander syntax: `<service>`, `[dir]`, `[ids...]`. */
  args?: string[];
  options?: OptionSpec[];
  examples?: string[];
  /** Fail with NOT_INITIALIZED before loading anything when no projects.json is found. */
  needsProject?: boolean;
  subcommands?: CommandSpec[];
  load?: () => Promise<CommandModule>;
}
