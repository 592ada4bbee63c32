import { type NextStep, ProjectsError } from '../protocol/errors.js';
import { openInBrowser } from './browser.js';
import type { Factory } from './factory.js';

/** Gates a human satisfies on a web page (terms, a card, a provider's consent), then the command goes on. */
const WEB_GATES = new Set(['TOS_REQUIRED', 'PAYMENT_METHOD_REQUIRED', 'HUMAN_REQUIRED']);
const MAX_ROUNDS = 3;

/** The page where a human satisfies the gate this error stands for, if it is one. */
export function gateUrl(error: unknown): string | undefined {
  if (!(error instanceof ProjectsError) || !WEB_GATES.has(error.code)) return undefined;
  const details = error.details ?? {};
  const url = details.url ?? details.terms_url ?? details.billing_url;
  return typeof url === 'string' ? url : undefined;
}

/**
 * Runs `action`; when it stops at a web gate and a human is at the terminal, shows the page (opening the
 * browser when there is one), waits for them to say they are done, and tries again. Without a human the
 * gate's error goes out at once (S8) with `rerun` among its next steps.
 */
export async function throughWebGates<T>(
  factory: Factory,
  rerun: NextStep,
  action: () => Promise<T>,
): Promise<T> {
  for (let round = 1; ; round++) {
    try {
      return await action();
    } catch (error) {
      const url = gateUrl(error);
      if (!url || !(error instanceof ProjectsError)) throw error;
      if (!factory.interactive || round > MAX_ROUNDS) throw error.with({ next: [rerun] });
      factory.output.info(`\n${error.message}\n  ${url}`);
      const opened = await openInBrowser(factory, url);
      const prompter = await factory.prompter([rerun]);
      await prompter.input(
        `${opened ? 'A browser opened that page' : 'Open that page'}; press Enter when done`,
      );
    }
  }
}
