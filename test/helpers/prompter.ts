import type { Factory } from '../../src/cli/factory.js';
import type { Prompter } from '../../src/cli/prompt.js';

/**
 * A human at the terminal, scripted: each question takes the next answer (a boolean for confirm, text for
 * the others, or a function that acts first — as a human does in the browser — then answers). Installed on a TTY factory; records every question so a test can assert what was asked.
 */
export type Answer = string | boolean | (() => string | boolean);

export function answerPrompts(factory: Factory, answers: Answer[]): { asked: string[] } {
  const asked: string[] = [];
  const next = (message: string): string | boolean => {
    asked.push(message);
    const answer = answers.shift();
    if (answer === undefined) throw new Error(`unexpected question: ${message}`);
    return typeof answer === 'function' ? answer() : answer;
  };
  const prompter: Prompter = {
    confirm: async (message) => next(message) === true,
    input: async (message) => String(next(message)),
    password: async (message) => String(next(message)),
    select: async (message) => String(next(message)) as never,
    typeToConfirm: async (message, expected) => next(message) === expected,
  };
  factory.prompter = async () => prompter;
  return { asked };
}
