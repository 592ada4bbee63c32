import { ProjectsError } from '../../../protocol/errors.js';
import type { FreezeState } from '../../../protocol/money.js';
import { appendAudit } from '../audit/chain.js';
import type { OrchestratorStorage } from '../storage/unit-of-work.js';
import { isoTime } from './format.js';

/**
 * The kill switch (S4). Freezing is one unit of work: the flag is set, every outstanding payment token is
 * revoked and every active run ends, so the first capture that runs after it commits is refused. Token
 * issue, capture and approvals check `assertNotFrozen` inside their own units. Unfreezing is a gate:
 * only `unfreezeUser`, called when a human approves the unfreeze approval, lifts it.
 */
export function getFreezeState(store: OrchestratorStorage, userId: string): Promise<FreezeState> {
  return store.transaction(async (tx): Promise<FreezeState> => {
    const record = await tx.freezes.get(userId);
    if (!record?.frozen) return { frozen: false, reason: null, frozen_at: null, frozen_by: null };
    return {
      frozen: true,
      reason: record.reason,
      frozen_at: record.frozen_at === null ? null : isoTime(record.frozen_at),
      frozen_by: record.frozen_by,
    };
  });
}

export function isFrozen(store: OrchestratorStorage, userId: string): Promise<boolean> {
  return store.transaction(async (tx) => (await tx.freezes.get(userId))?.frozen === true);
}

/** Throws FROZEN (HTTP 423, exit 6) when the user pulled the kill switch. Call it inside your unit of work. */
export async function assertNotFrozen(store: OrchestratorStorage, userId: string): Promise<void> {
  if (!(await isFrozen(store, userId))) return;
  throw new ProjectsError(
    'FROZEN',
    'spending is frozen for this account: no payment tokens, captures or approvals',
    {
      httpStatus: 423,
      details: { retryable: false },
      next: [{ command: 'projects unfreeze', why: 'a human must approve lifting the freeze' }],
    },
  );
}

export function freezeUser(
  store: OrchestratorStorage,
  input: { userId: string; actor: string; reason: string | null; now: number },
): Promise<FreezeState> {
  return store.transaction(async (tx): Promise<FreezeState> => {
    const already = await isFrozen(tx, input.userId);
    if (!already) await tx.freezes.freeze(input);
    const revoked = await tx.ledger.revokeActiveTokens({ userId: input.userId }, 'frozen', input.now);
    const ended = await tx.budgetRuns.endActive(input.userId, 'frozen', input.now);
    await appendAudit(tx, {
      userId: input.userId,
      actor: input.actor,
      action: 'freeze',
      result: 'ok',
      details: {
        reason: input.reason,
        already_frozen: already,
        revoked_tokens: revoked,
        ended_runs: ended,
      },
      now: input.now,
    });
    return { ...(await getFreezeState(tx, input.userId)), revoked_tokens: revoked, ended_runs: ended };
  });
}

/** Lifts a freeze. Only for the approvals flow, once a human approved the `unfreeze` approval. */
export function unfreezeUser(
  store: OrchestratorStorage,
  input: { userId: string; actor: string; approvalId: string; now: number },
): Promise<FreezeState> {
  return store.transaction(async (tx): Promise<FreezeState> => {
    await tx.freezes.lift(input.userId, input.now);
    await appendAudit(tx, {
      userId: input.userId,
      actor: input.actor,
      action: 'unfreeze',
      subject: input.approvalId,
      result: 'ok',
      now: input.now,
    });
    return getFreezeState(tx, input.userId);
  });
}
