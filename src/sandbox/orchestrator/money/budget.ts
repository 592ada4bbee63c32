import type { Budget, Limits, UpdateBudgetRequest } from '../../../protocol/money.js';
import type { Db } from '../../db.js';
import { appendAudit } from '../audit/chain.js';
import { monthOf } from './format.js';
import { isFrozen } from './freeze.js';
import { getLimits, providerCap, reservedIn, setLimits, spentIn } from './limits.js';

/**
 * Showing and changing limits. A change that tightens a limit applies at once (it can only stop spending);
 * one that loosens it is a human gate, so `splitChanges` separates the two.
 */
export function getBudget(db: Db, userId: string, now: number): Budget {
  const limits = getLimits(db, userId);
  const providers = db
    .prepare(
      `SELECT provider_id FROM money_captures WHERE user_id = ? AND month = ?
       UNION SELECT provider_id FROM money_tokens WHERE user_id = ? AND status = 'active' AND expires_at > ?
       ORDER BY provider_id`,
    )
    .all(userId, monthOf(now), userId, now) as { provider_id: string }[];
  const names = new Set([...providers.map((row) => row.provider_id), ...Object.keys(limits.provider_caps)]);
  const scope = { userId, now };
  return {
    limits,
    spend: {
      month: monthOf(now),
      currency: limits.currency,
      spent: spentIn(db, scope),
      reserved: reservedIn(db, scope),
      by_provider: [...names].sort().map((provider) => ({
        provider,
        spent: spentIn(db, { ...scope, providerId: provider }),
        reserved: reservedIn(db, { ...scope, providerId: provider }),
        cap: providerCap(limits, provider),
      })),
    },
    frozen: isFrozen(db, userId),
  };
}

type Changes = UpdateBudgetRequest;

/** Splits a requested change into the limits it tightens and the ones it loosens. */
export function splitChanges(current: Limits, requested: Changes): { lower: Changes; raise: Changes } {
  const lower: Changes = {};
  const raise: Changes = {};
  for (const name of ['global_monthly_cap', 'provider_monthly_cap', 'per_invocation_ceiling'] as const) {
    const value = requested[name];
    if (value !== undefined) (value <= current[name] ? lower : raise)[name] = value;
  }
  for (const [provider, cap] of Object.entries(requested.provider_caps ?? {})) {
    const side = cap <= providerCap(current, provider) ? lower : raise;
    side.provider_caps = { ...side.provider_caps, [provider]: cap };
  }
  const velocity = requested.velocity;
  if (velocity) {
    const tighter =
      velocity.max_operations <= current.velocity.max_operations &&
      velocity.window_seconds >= current.velocity.window_seconds;
    (tighter ? lower : raise).velocity = velocity;
  }
  return { lower, raise };
}

function applyChanges(limits: Limits, changes: Changes): Limits {
  return { ...limits, ...changes, provider_caps: { ...limits.provider_caps, ...changes.provider_caps } };
}

export function isEmpty(changes: Changes): boolean {
  return Object.keys(changes).length === 0;
}

/** Applies limit changes in one transaction with their audit event. */
export function changeLimits(
  db: Db,
  input: { userId: string; actor: string; changes: Changes; approvalId?: string; now: number },
): Limits {
  return db
    .transaction(() => {
      const limits = applyChanges(getLimits(db, input.userId), input.changes);
      setLimits(db, input.userId, limits, input.now);
      appendAudit(db, {
        userId: input.userId,
        actor: input.actor,
        action: input.approvalId ? 'budget.raise' : 'budget.lower',
        subject: input.approvalId ?? null,
        result: 'ok',
        details: { changes: input.changes },
        now: input.now,
      });
      return limits;
    })
    .immediate();
}
