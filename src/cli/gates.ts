import type { OrchestratorApi } from '../client/orchestrator.js';
import { type NextStep, ProjectsError } from '../protocol/errors.js';
import { askToApprove, describeApproval } from './approval-view.js';
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
      await waitAtPage(factory, error.message, url, rerun);
    }
  }
}

/** Shows the page (opening the browser when there is one) and waits for the human to say they are done. */
async function waitAtPage(factory: Factory, what: string, url: string, rerun: NextStep): Promise<void> {
  factory.output.info(`\n${what}\n  ${url}`);
  const opened = await openInBrowser(factory, url);
  const prompter = await factory.prompter([rerun]);
  await prompter.input(`${opened ? 'A browser opened that page' : 'Open that page'}; press Enter when done`);
}

/**
 * Runs `action` through the orchestrator's approvals. An approval is decided right here when a human is at
 * the terminal: they see it in full, approve with a typed confirmation (the orchestrator records it as
 * theirs), and the same request runs again; with `web`, they decide in the approval's page instead and
 * press Enter. Nobody else can decide one: the agent gets APPROVAL_REQUIRED, the id, the page and both next
 * commands (`projects approve apr_…`, then `rerun`). `declined` says what did not happen when the human
 * says no (e.g. `nothing was bought`).
 */
export async function throughApprovals<T>(
  factory: Factory,
  api: OrchestratorApi,
  rerun: NextStep,
  declined: string,
  action: () => Promise<T>,
  options: { web?: boolean } = {},
): Promise<T> {
  for (let round = 1; ; round++) {
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof ProjectsError) || error.code !== 'APPROVAL_REQUIRED') throw error;
      const approvalId = error.details?.approval_id;
      // A human can say no at the terminal; approving through the orchestrator is one round per gate.
      if (!factory.interactive || round > MAX_ROUNDS || typeof approvalId !== 'string') {
        throw error.with({ next: [rerun] });
      }
      const url = error.details?.url;
      if (options.web && typeof url === 'string') await waitAtPage(factory, error.message, url, rerun);
      else await decideAtTerminal(factory, api, approvalId, rerun, declined);
    }
  }
}

async function decideAtTerminal(
  factory: Factory,
  api: OrchestratorApi,
  approvalId: string,
  rerun: NextStep,
  declined: string,
): Promise<void> {
  const approval = await api.approval(approvalId);
  factory.output.info(`\nThis needs your approval:\n${describeApproval(approval)}\n`);
  const prompter = await factory.prompter([
    { command: `projects approve ${approvalId}`, why: 'decide it' },
    rerun,
  ]);
  const decision = await askToApprove(prompter, approval);
  if (!decision.approved) {
    await api.decide(approvalId, 'deny', { reason: 'declined at the terminal' });
    throw new ProjectsError('APPROVAL_DENIED', `you declined: ${approval.title}; ${declined}`, {
      details: { approval_id: approvalId },
    });
  }
  await api.decide(approvalId, 'approve', { confirmation: decision.confirmation });
}
