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

export async function inquirerPrompter(io: IOStreams): Promise<Prompter> {
  const prompts = await import('@inquirer/prompts');
  const context = { input: io.stdin, output: io.stderr, clearPromptOnDone: false };
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
