import { formatMoney } from '../../../core/money.js';
import type { Limits } from '../../../protocol/money.js';
import type { OrchestratorTx } from '../storage/unit-of-work.js';
import { spendRefusal } from './format.js';
import type { SpendQuery } from './repository.js';

/**
 * Spend limits (S2) and the sums they are checked against. Spend in a month is what was captured in it plus
 * what outstanding payment tokens reserve; a check adds the new amount and compares with each limit.
 * Callers run these inside the same unit of work as the write they guard (storage/unit-of-work.ts), so no
 * two checks can both see room for one more charge.
 */
export const DEFAULT_LIMITS: Limits = {
  currency: 'usd',
  global_monthly_cap: 50_000,
  provider_monthly_cap: 10_000,
  provider_caps: {},
  per_invocation_ceiling: 5_000,
  velocity: { max_operations: 20, window_seconds: 3_600 },
  // Off: every paid purchase waits for a human until a human approves a threshold (a budget_raise gate).
  auto_approve_below: 0,
};

/** The limits that are one amount each, compared as numbers: lowering one tightens policy. */
export const AMOUNT_LIMITS = [
  'global_monthly_cap',
  'provider_monthly_cap',
  'per_invocation_ceiling',
  'auto_approve_below',
] as const;

/** The user's limits: what they set over the defaults. */
export async function getLimits(tx: OrchestratorTx, userId: string): Promise<Limits> {
  const stored = await tx.limits.get(userId);
  return stored ? { ...DEFAULT_LIMITS, ...stored } : DEFAULT_LIMITS;
}

export function providerCap(limits: Limits, providerId: string): number {
  return limits.provider_caps[providerId] ?? limits.provider_monthly_cap;
}

/** What a scope has used: captured plus reserved by outstanding tokens. */
export async function usedIn(tx: OrchestratorTx, scope: SpendQuery): Promise<number> {
  return (await tx.ledger.spent(scope)) + (await tx.ledger.reserved(scope));
}

export interface Charge {
  userId: string;
  providerId: string;
  projectId: string | null;
  runId: string | null;
  amount: number;
  currency: string;
  excludeTokenId?: string | undefined;
  now: number;
}

/** Refuses a charge that would take the provider's or the user's monthly spend over its cap. */
export async function assertWithinCaps(tx: OrchestratorTx, limits: Limits, charge: Charge): Promise<void> {
  const scope = { userId: charge.userId, excludeTokenId: charge.excludeTokenId, now: charge.now };
  const money = (amount: number) => formatMoney(amount, charge.currency);
  const providerUsed = await usedIn(tx, { ...scope, providerId: charge.providerId });
  const cap = providerCap(limits, charge.providerId);
  if (providerUsed + charge.amount > cap) {
    throw spendRefusal(
      'CAP_EXCEEDED',
      `${money(charge.amount)} would take this month's spend at provider '${charge.providerId}' over its cap of ${money(cap)} (${money(providerUsed)} already spent or reserved)`,
      {
        limit: 'provider_monthly_cap',
        provider: charge.providerId,
        cap,
        used: providerUsed,
        requested: charge.amount,
      },
    );
  }
  const globalUsed = await usedIn(tx, scope);
  if (globalUsed + charge.amount > limits.global_monthly_cap) {
    throw spendRefusal(
      'CAP_EXCEEDED',
      `${money(charge.amount)} would take this month's total spend over the global cap of ${money(limits.global_monthly_cap)} (${money(globalUsed)} already spent or reserved)`,
      {
        limit: 'global_monthly_cap',
        cap: limits.global_monthly_cap,
        used: globalUsed,
        requested: charge.amount,
      },
    );
  }
}

/** Outside a run, one billable operation may cost at most the per-invocation ceiling. */
export function assertWithinInvocationCeiling(limits: Limits, charge: Charge): void {
  if (charge.amount <= limits.per_invocation_ceiling) return;
  const money = (amount: number) => formatMoney(amount, charge.currency);
  throw spendRefusal(
    'BUDGET_EXCEEDED',
    `${money(charge.amount)} is over the ceiling of ${money(limits.per_invocation_ceiling)} for one purchase made outside a run (start a run with a budget: \`projects run start --budget USD\`)`,
    { limit: 'per_invocation_ceiling', ceiling: limits.per_invocation_ceiling, requested: charge.amount },
  );
}

/**
 * Stops loops that stay inside the caps: at most `max_operations` payment tokens per project (or per user
 * when there is no project) in any trailing window.
 */
export async function assertWithinVelocity(
  tx: OrchestratorTx,
  limits: Limits,
  charge: Charge,
): Promise<void> {
  const { max_operations: max, window_seconds: window } = limits.velocity;
  const count = await tx.ledger.tokensIssuedSince({
    userId: charge.userId,
    projectId: charge.projectId,
    since: charge.now - window * 1000,
  });
  if (count < max) return;
  throw spendRefusal(
    'VELOCITY_LIMITED',
    `${count} billable operations in the last ${window} s reached the velocity limit of ${max} for this project; this looks like a loop`,
    { limit: 'velocity', max_operations: max, window_seconds: window, count },
  );
}
