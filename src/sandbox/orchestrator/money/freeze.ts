import { ProjectsError } from '../../../protocol/errors.js';
import type { FreezeState } from '../../../protocol/money.js';
import type { Db } from '../../db.js';
import { appendAudit } from '../audit/chain.js';
import { endActiveRuns } from './budget-runs.js';
import { isoTime } from './format.js';

/**
 * The kill switch (S4). Freezing is one transaction: the flag is set, every outstanding payment token is
 * revoked and every active run ends, so the first capture that runs after it commits is refused. Token
 * issue, capture and approvals check `assertNotFrozen` inside their own transactions. Unfreezing is a gate:
 * only `unfreezeUser`, called when a human approves the unfreeze approval, lifts it.
 */
interface FreezeRow {
  frozen: number;
  reason: string | null;
  frozen_at: number | null;
  frozen_by: string | null;
}

export function getFreezeState(db: Db, userId: string): FreezeState {
  const row = db
    .prepare('SELECT frozen, reason, frozen_at, frozen_by FROM money_freezes WHERE user_id = ?')
    .get(userId) as FreezeRow | undefined;
  if (!row?.frozen) return { frozen: false, reason: null, frozen_at: null, frozen_by: null };
  return {
    frozen: true,
    reason: row.reason,
    frozen_at: row.frozen_at === null ? null : isoTime(row.frozen_at),
    frozen_by: row.frozen_by,
  };
}

export function isFrozen(db: Db, userId: string): boolean {
  const row = db.prepare('SELECT frozen FROM money_freezes WHERE user_id = ?').get(userId) as
    | { frozen: number }
    | undefined;
  return row?.frozen === 1;
}

/** Throws FROZEN (HTTP 423, exit 6) when the user pulled the kill switch. Call it inside your transaction. */
export function assertNotFrozen(db: Db, userId: string): void {
  if (!isFrozen(db, userId)) return;
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
  db: Db,
  input: { userId: string; actor: string; reason: string | null; now: number },
): FreezeState {
  return db
    .transaction((): FreezeState => {
      const already = isFrozen(db, input.userId);
      if (!already) {
        db.prepare(
          `INSERT INTO money_freezes (user_id, frozen, reason, frozen_at, frozen_by, updated_at) VALUES (?, 1, ?, ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET frozen = 1, reason = excluded.reason, frozen_at = excluded.frozen_at,
             frozen_by = excluded.frozen_by, updated_at = excluded.updated_at`,
        ).run(input.userId, input.reason, input.now, input.actor, input.now);
      }
      const revoked = db
        .prepare(
          `UPDATE money_tokens SET status = 'revoked', revoked_at = ?, revoke_reason = 'frozen'
           WHERE user_id = ? AND status = 'active'`,
        )
        .run(input.now, input.userId).changes;
      const ended = endActiveRuns(db, input.userId, 'frozen', input.now);
      appendAudit(db, {
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
      return { ...getFreezeState(db, input.userId), revoked_tokens: revoked, ended_runs: ended };
    })
    .immediate();
}

/** Lifts a freeze. Only for the approvals flow, once a human approved the `unfreeze` approval. */
export function unfreezeUser(
  db: Db,
  input: { userId: string; actor: string; approvalId: string; now: number },
): FreezeState {
  return db
    .transaction((): FreezeState => {
      db.prepare('UPDATE money_freezes SET frozen = 0, updated_at = ? WHERE user_id = ?').run(
        input.now,
        input.userId,
      );
      appendAudit(db, {
        userId: input.userId,
        actor: input.actor,
        action: 'unfreeze',
        subject: input.approvalId,
        result: 'ok',
        now: input.now,
      });
      return getFreezeState(db, input.userId);
    })
    .immediate();
}
