import { Writable } from 'node:stream';
import type { IOStreams } from './io.js';

/**
 * Questions for the human at the terminal. Questions are drawn on stderr so stdout stays the payload.
 * Only available in interactive mode: `Factory.prompter()` refuses otherwise (S8 — never hang).
 */
export interface Prompter {
  confirm(message: string, defaultAnswer?: boolean): Promise<boolean>;
  input(
    message: string,
    options?: { default?: string; validate?: (value: string) => true | string },
  ): Promise<string>;
  password(message: string): Promise<string>;
  select<T extends string>(
    message: string,
    choices: { value: T; name: string; description?: string }[],
  ): Promise<T>;
  /** True only when the human types `expected` exactly (used for irreversible purchases). */
  typeToConfirm(message: string, expected: string): Promise<boolean>;
}

/**
 * Inquirer pipes its output into the stream it is given and ends that stream when a prompt closes. Node
 * spares process.stderr from it, but not any other stream (a test's, a log file's), after which nothing
 * more could be printed: inquirer gets a stream of its own whose end stops there.
 */
function promptOutput(io: IOStreams): Writable {
  const output = new Writable({
    write: (chunk, encoding, done) => {
      io.stderr.write(chunk, encoding);
      done();
    },
  });
  return Object.assign(output, { isTTY: io.stderrIsTTY, columns: io.columns });
}

export async function inquirerPrompter(io: IOStreams): Promise<Prompter> {
  const prompts = await import('@inquirer/prompts');
  const context = { input: io.stdin, output: promptOutput(io), clearPromptOnDone: false };
  return {
    confirm: (message, defaultAnswer = false) =>
      prompts.confirm({ message, default: defaultAnswer }, context),
    input: (message, options = {}) =>
      prompts.input(
        {
          message,
          ...(options.default === undefined ? {} : { default: options.default }),
          validate: options.validate,
        },
        context,
      ),
    password: (message) => prompts.password({ message, mask: '*' }, context),
    select: (message, choices) => prompts.select({ message, choices }, context),
    typeToConfirm: async (message, expected) =>
      (await prompts.input({ message }, context)).trim() === expected,
  };
}
