import type { Approval, ProvisionResponse } from '../../src/protocol/orchestrator.js';
import { changeLimits } from '../../src/sandbox/orchestrator/money/budget.js';
import { ProviderRegistry } from '../../src/sandbox/orchestrator/runs/registry.js';
import { type Answer, type RunsSandbox, startRunsSandbox } from '../runs/harness.js';
import { FaultProxy } from './fault-proxy.js';

/**
 * The sandbox with a fault proxy between the orchestrator and one of its providers, plus the human
 * steps of a purchase (terms, card, approvals) so that tests can drive paid purchases end to end.
 */

/** The failure codes DESIGN.md §5 documents for a purchase hit by a failing provider, with their HTTP status. */
export const TRANSIENT_CODES: Record<string, number[]> = {
  PROVIDER_UNAVAILABLE: [502, 503],
  INVALID_RESPONSE: [502],
  IDEMPOTENCY_CONFLICT: [409],
};

export const SPEND_REFUSALS = ['BUDGET_EXCEEDED', 'CAP_EXCEEDED', 'VELOCITY_LIMITED', 'PAYMENT_DECLINED'];

export interface FaultSandbox extends RunsSandbox {
  proxy: FaultProxy;
  /** Moves the orchestrator's clock forward (breaker cool-downs, leases) without sleeping. */
  advance(ms: number): void;
  /** POST provision as `token` (default: the human), approving as the human when a gate asks. */
  buy(project: string, request: Record<string, unknown>, token?: string): Promise<Answer>;
  /** The human approves the gate an answer points at; false when it is not APPROVAL_REQUIRED. */
  approveIfAsked(answer: Answer): Promise<boolean>;
  captures(project: string): { n: number; total: number };
  resources(project: string): number;
}

/** Caps high enough that the tests' purchases never meet them (recorded as a decided approval would be). */
const HIGH_CAPS = 1_000_000;

/**
 * The sandbox with the fault proxy in front of `provider`, and the human's part of a purchase done: the
 * provider's terms accepted, a card on file, the monthly caps raised.
 */
export async function startFaultSandbox(provider: string, providerTimeoutMs = 600): Promise<FaultSandbox> {
  process.env.PROJECTS_PROVIDER_TIMEOUT_MS = String(providerTimeoutMs);
  let offset = 0;
  const sandbox = await startRunsSandbox({ now: () => Date.now() + offset });
  delete process.env.PROJECTS_PROVIDER_TIMEOUT_MS;
  const registry = new ProviderRegistry(sandbox.storage, sandbox.context.secrets);
  const registered = await registry.get(provider);
  const proxy = await new FaultProxy(registered.baseUrl).start();
  await registry.upsert({ ...registered, baseUrl: proxy.url }, new Date());
  const close = sandbox.close;

  /** The human approves what a gate asks, typing the confirmation the approval names. */
  const approveIfAsked = async (answer: Answer) => {
    const approvalId = answer.body.error?.details?.approval_id;
    if (answer.body.error?.code !== 'APPROVAL_REQUIRED' || typeof approvalId !== 'string') return false;
    const approval = await sandbox.api<Approval>('GET', `/v1/approvals/${approvalId}`);
    const decided = await sandbox.api<Approval>('POST', `/v1/approvals/${approvalId}/approve`, {
      ...(approval.body.confirmation ? { confirmation: approval.body.confirmation } : {}),
    });
    if (decided.body.status !== 'approved')
      throw new Error(`approval refused: ${JSON.stringify(decided.body)}`);
    return true;
  };

  await sandbox.acceptTerms(provider);
  await sandbox.addCard();
  await changeLimits(sandbox.storage, {
    userId: sandbox.user.id,
    actor: `human:${sandbox.user.email}`,
    changes: { provider_monthly_cap: HIGH_CAPS, global_monthly_cap: HIGH_CAPS },
    approvalId: 'apr_test',
    now: Date.now(),
  });

  return Object.assign(sandbox, {
    proxy,
    advance(ms: number) {
      offset += ms;
    },
    approveIfAsked,
    async buy(project: string, request: Record<string, unknown>, token?: string) {
      const send = () =>
        sandbox.api<ProvisionResponse>('POST', `/v1/projects/${project}/provision`, request, token);
      const first = await send();
      return (await approveIfAsked(first)) ? send() : first;
    },
    captures(project: string) {
      return sandbox.db
        .prepare(
          'SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS total FROM money_captures WHERE project_id = ?',
        )
        .get(project) as { n: number; total: number };
    },
    resources(project: string) {
      const row = sandbox.db
        .prepare("SELECT COUNT(*) AS n FROM runs_resources WHERE project_id = ? AND status != 'removed'")
        .get(project) as { n: number };
      return row.n;
    },
    async close() {
      await proxy.stop();
      await close();
    },
  });
}
