import type { Factory } from '../../src/cli/factory.js';
import type { Prompter } from '../../src/cli/prompt.js';

/**
 * A human at the terminal, scripted: each question takes the next answer (a boolean for confirm, text for
 * the others, or a function that acts first — as a human does in the browser — then answers). Installed on a TTY factory; records every question so a test can assert what was asked.
 */
export type Answer = string | boolean | (() => string | boolean | Promise<string | boolean>);

export function answerPrompts(factory: Factory, answers: Answer[]): { asked: string[] } {
  const asked: string[] = [];
  const next = async (message: string): Promise<string | boolean> => {
    asked.push(message);
    const answer = answers.shift();
    if (answer === undefined) throw new Error(`unexpected question: ${message}`);
    return typeof answer === 'function' ? answer() : answer;
  };
  const prompter: Prompter = {
    confirm: async (message) => (await next(message)) === true,
    input: async (message) => String(await next(message)),
    password: async (message) => String(await next(message)),
    select: async (message) => String(await next(message)) as never,
    typeToConfirm: async (message, expected) => (await next(message)) === expected,
  };
  factory.prompter = async () => prompter;
  return { asked };
}
