import { formatMoney } from '../../../core/money.js';
import type { Limits } from '../../../protocol/money.js';
import type { Db } from '../../db.js';
import { monthOf, spendRefusal } from './format.js';

/**
 * Spend limits (S2) and the sums they are checked against. Spend in a month is what was captured in it plus
 * what outstanding payment tokens reserve; a check adds the new amount and compares with each limit.
 * Callers run these inside the same IMMEDIATE transaction as the write they guard, so no two checks can
 * both see room for one more charge.
 */
export const DEFAULT_LIMITS: Limits = {
  currency: 'usd',
  global_monthly_cap: 50_000,
  provider_monthly_cap: 10_000,
  provider_caps: {},
  per_invocation_ceiling: 5_000,
  velocity: { max_operations: 20, window_seconds: 3_600 },
};

export function getLimits(db: Db, userId: string): Limits {
  const row = db.prepare('SELECT limits FROM money_limits WHERE user_id = ?').get(userId) as
    | { limits: string }
    | undefined;
  return row ? { ...DEFAULT_LIMITS, ...(JSON.parse(row.limits) as Partial<Limits>) } : DEFAULT_LIMITS;
}

export function setLimits(db: Db, userId: string, limits: Limits, now: number = Date.now()): void {
  db.prepare(
    `INSERT INTO money_limits (user_id, limits, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (user_id) DO UPDATE SET limits = excluded.limits, updated_at = excluded.updated_at`,
  ).run(userId, JSON.stringify(limits), now);
}

export function providerCap(limits: Limits, providerId: string): number {
  return limits.provider_caps[providerId] ?? limits.provider_monthly_cap;
}

export interface SpendScope {
  userId: string;
  providerId?: string | undefined;
  runId?: string | undefined;
  /** A token whose own reservation is being converted into a charge, so it is not counted twice. */
  excludeTokenId?: string | undefined;
  now: number;
}

/** Captured this month (or over the run's life when `runId` is given). */
export function spentIn(db: Db, scope: SpendScope): number {
  const row = db
    .prepare(
      `SELECT COALESCE(SUM(amount), 0) AS total FROM money_captures
       WHERE user_id = @userId AND (@runId IS NOT NULL OR month = @month)
         AND (@providerId IS NULL OR provider_id = @providerId) AND (@runId IS NULL OR run_id = @runId)`,
    )
    .get({
      userId: scope.userId,
      month: monthOf(scope.now),
      providerId: scope.providerId ?? null,
      runId: scope.runId ?? null,
    });
  return (row as { total: number }).total;
}

/** Held by payment tokens that can still be captured. */
export function reservedIn(db: Db, scope: SpendScope): number {
  const row = db
    .prepare(
      `SELECT COALESCE(SUM(max_amount), 0) AS total FROM money_tokens
       WHERE user_id = @userId AND status = 'active' AND expires_at > @now
         AND (@providerId IS NULL OR provider_id = @providerId) AND (@runId IS NULL OR run_id = @runId)
         AND (@exclude IS NULL OR id <> @exclude)`,
    )
    .get({
      userId: scope.userId,
      now: scope.now,
      providerId: scope.providerId ?? null,
      runId: scope.runId ?? null,
      exclude: scope.excludeTokenId ?? null,
    });
  return (row as { total: number }).total;
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
export function assertWithinCaps(db: Db, limits: Limits, charge: Charge): void {
  const scope = { userId: charge.userId, excludeTokenId: charge.excludeTokenId, now: charge.now };
  const money = (amount: number) => formatMoney(amount, charge.currency);
  const providerUsed =
    spentIn(db, { ...scope, providerId: charge.providerId }) +
    reservedIn(db, { ...scope, providerId: charge.providerId });
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
  const globalUsed = spentIn(db, scope) + reservedIn(db, scope);
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
export function assertWithinVelocity(db: Db, limits: Limits, charge: Charge): void {
  const { max_operations: max, window_seconds: window } = limits.velocity;
  const row = db
    .prepare(
      `SELECT COUNT(*) AS n FROM money_tokens WHERE user_id = @userId
         AND ((@projectId IS NULL AND project_id IS NULL) OR project_id = @projectId) AND created_at > @since`,
    )
    .get({ userId: charge.userId, projectId: charge.projectId, since: charge.now - window * 1000 });
  const count = (row as { n: number }).n;
  if (count < max) return;
  throw spendRefusal(
    'VELOCITY_LIMITED',
    `${count} billable operations in the last ${window} s reached the velocity limit of ${max} for this project; this looks like a loop`,
    { limit: 'velocity', max_operations: max, window_seconds: window, count },
  );
}
