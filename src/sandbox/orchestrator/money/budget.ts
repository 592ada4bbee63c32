import type { Budget, Limits, UpdateBudgetRequest } from '../../../protocol/money.js';
import { appendAudit } from '../audit/chain.js';
import type { OrchestratorStorage } from '../storage/unit-of-work.js';
import { monthOf } from './format.js';
import { isFrozen } from './freeze.js';
import { AMOUNT_LIMITS, getLimits, providerCap } from './limits.js';

/**
 * Showing and changing limits. A change that tightens a limit applies at once (it can only stop spending);
 * one that loosens it is a human gate, so `splitChanges` separates the two.
 */
export function getBudget(store: OrchestratorStorage, userId: string, now: number): Promise<Budget> {
  return store.transaction(async (tx): Promise<Budget> => {
    const limits = await getLimits(tx, userId);
    const providers = await tx.ledger.providersWithSpend(userId, monthOf(now), now);
    const names = new Set([...providers, ...Object.keys(limits.provider_caps)]);
    const scope = { userId, now };
    const byProvider = [];
    for (const provider of [...names].sort()) {
      byProvider.push({
        provider,
        spent: await tx.ledger.spent({ ...scope, providerId: provider }),
        reserved: await tx.ledger.reserved({ ...scope, providerId: provider }),
        cap: providerCap(limits, provider),
      });
    }
    return {
      limits,
      spend: {
        month: monthOf(now),
        currency: limits.currency,
        spent: await tx.ledger.spent(scope),
        reserved: await tx.ledger.reserved(scope),
        by_provider: byProvider,
      },
      frozen: await isFrozen(tx, userId),
    };
  });
}

type Changes = UpdateBudgetRequest;

/**
 * Splits a requested change into the limits it tightens and the ones it loosens. A value equal to the
 * current one is neither: it changes nothing, so repeating a request after its raise was approved (as the
 * CLI does) neither asks again nor records a change.
 */
export function splitChanges(current: Limits, requested: Changes): { lower: Changes; raise: Changes } {
  const lower: Changes = {};
  const raise: Changes = {};
  for (const name of AMOUNT_LIMITS) {
    const value = requested[name];
    if (value !== undefined && value !== current[name]) (value < current[name] ? lower : raise)[name] = value;
  }
  for (const [provider, cap] of Object.entries(requested.provider_caps ?? {})) {
    const now = providerCap(current, provider);
    if (cap === now) continue;
    const side = cap < now ? lower : raise;
    side.provider_caps = { ...side.provider_caps, [provider]: cap };
  }
  const velocity = requested.velocity;
  if (velocity && !sameVelocity(velocity, current.velocity)) {
    const tighter =
      velocity.max_operations <= current.velocity.max_operations &&
      velocity.window_seconds >= current.velocity.window_seconds;
    (tighter ? lower : raise).velocity = velocity;
  }
  return { lower, raise };
}

function sameVelocity(a: Limits['velocity'], b: Limits['velocity']): boolean {
  return a.max_operations === b.max_operations && a.window_seconds === b.window_seconds;
}

function applyChanges(limits: Limits, changes: Changes): Limits {
  return { ...limits, ...changes, provider_caps: { ...limits.provider_caps, ...changes.provider_caps } };
}

export function isEmpty(changes: Changes): boolean {
  return Object.keys(changes).length === 0;
}

/** Applies limit changes in one unit of work with their audit event. */
export function changeLimits(
  store: OrchestratorStorage,
  input: { userId: string; actor: string; changes: Changes; approvalId?: string; now: number },
): Promise<Limits> {
  return store.transaction(async (tx) => {
    const limits = applyChanges(await getLimits(tx, input.userId), input.changes);
    await tx.limits.put(input.userId, limits, input.now);
    await appendAudit(tx, {
      userId: input.userId,
      actor: input.actor,
      action: input.approvalId ? 'budget.raise' : 'budget.lower',
      subject: input.approvalId ?? null,
      result: 'ok',
      details: { changes: input.changes },
      now: input.now,
    });
    return limits;
  });
}
