import { formatMoney } from '../../../core/money.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { Run } from '../../../protocol/money.js';
import type { Db } from '../../db.js';
import { appendAudit } from '../audit/chain.js';
import { newId } from '../runs/ids.js';
import { isoTime, spendRefusal } from './format.js';
import { reservedIn, spentIn } from './limits.js';

/**
 * Agent runs (`projects run start --budget`): a spend ceiling with a lifetime. Every payment token issued
 * for a run counts against its budget (reserved until captured, then spent); an ended or expired run can
 * neither get tokens nor capture them.
 */
const DEFAULT_RUN_TTL_SECONDS = 2 * 3600;
const MAX_RUN_TTL_SECONDS = 7 * 86_400;

interface RunRow {
  id: string;
  user_id: string;
  project_id: string | null;
  currency: string;
  budget: number;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
  end_reason: string | null;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `ttl` as seconds or `90s` / `30m` / `2h` / `1d`. */
export function parseDuration(value: number | string | undefined): number {
  if (value === undefined) return DEFAULT_RUN_TTL_SECONDS;
  const seconds =
    typeof value === 'number'
      ? value
      : Number.parseInt(value, 10) * (UNIT_SECONDS[value.slice(-1)] ?? Number.NaN);
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_RUN_TTL_SECONDS) {
    throw new ProjectsError('INVALID_ARGUMENT', `ttl must be between 1 s and 7 d, got '${value}'`, {
      httpStatus: 400,
    });
  }
  return seconds;
}

function findRun(db: Db, userId: string, runId: string): RunRow {
  const row = db.prepare('SELECT * FROM money_runs WHERE id = ? AND user_id = ?').get(runId, userId) as
    | RunRow
    | undefined;
  if (!row) {
    throw new ProjectsError('NOT_FOUND', `no run '${runId}' for this user`, {
      httpStatus: 404,
      next: [{ command: 'projects run start --budget USD', why: 'start a run and export PROJECTS_RUN_ID' }],
    });
  }
  return row;
}

function statusOf(row: RunRow, now: number): Run['status'] {
  if (row.ended_at !== null) return 'ended';
  return row.expires_at <= now ? 'expired' : 'active';
}

function toRun(db: Db, row: RunRow, now: number): Run {
  const scope = { userId: row.user_id, runId: row.id, now };
  const spent = spentIn(db, scope);
  const reserved = reservedIn(db, scope);
  return {
    id: row.id,
    status: statusOf(row, now),
    project_id: row.project_id,
    currency: row.currency,
    budget: row.budget,
    spent,
    reserved,
    remaining: Math.max(0, row.budget - spent - reserved),
    created_at: isoTime(row.created_at),
    expires_at: isoTime(row.expires_at),
    ended_at: row.ended_at === null ? null : isoTime(row.ended_at),
    end_reason: row.end_reason,
  };
}

export interface CreateRunInput {
  userId: string;
  actor: string;
  budget: number;
  currency: string;
  ttlSeconds: number;
  projectId: string | null;
  now: number;
}

export function createRun(db: Db, input: CreateRunInput): Run {
  return db
    .transaction(() => {
      const row: RunRow = {
        id: newId('run'),
        user_id: input.userId,
        project_id: input.projectId,
        currency: input.currency,
        budget: input.budget,
        created_at: input.now,
        expires_at: input.now + input.ttlSeconds * 1000,
        ended_at: null,
        end_reason: null,
      };
      db.prepare(
        `INSERT INTO money_runs (id, user_id, project_id, currency, budget, created_by, created_at, expires_at)
         VALUES (@id, @user_id, @project_id, @currency, @budget, @actor, @created_at, @expires_at)`,
      ).run({ ...row, actor: input.actor });
      appendAudit(db, {
        userId: input.userId,
        actor: input.actor,
        runId: row.id,
        projectId: input.projectId,
        action: 'run.start',
        subject: row.id,
        price: { amount: input.budget, currency: input.currency },
        result: 'ok',
        details: { ttl_seconds: input.ttlSeconds },
        now: input.now,
      });
      return toRun(db, row, input.now);
    })
    .immediate();
}

export function getRun(db: Db, userId: string, runId: string, now: number): Run {
  return toRun(db, findRun(db, userId, runId), now);
}

/** Ends one run and revokes the payment tokens still outstanding under it. */
export function endRun(
  db: Db,
  input: { userId: string; actor: string; runId: string; reason: string; now: number },
): Run {
  return db
    .transaction(() => {
      const row = findRun(db, input.userId, input.runId);
      if (row.ended_at === null) {
        db.prepare('UPDATE money_runs SET ended_at = ?, end_reason = ? WHERE id = ?').run(
          input.now,
          input.reason,
          row.id,
        );
        const revoked = db
          .prepare(
            `UPDATE money_tokens SET status = 'revoked', revoked_at = ?, revoke_reason = 'run_ended'
             WHERE run_id = ? AND status = 'active'`,
          )
          .run(input.now, row.id).changes;
        appendAudit(db, {
          userId: input.userId,
          actor: input.actor,
          runId: row.id,
          projectId: row.project_id,
          action: 'run.end',
          subject: row.id,
          result: 'ok',
          details: { reason: input.reason, revoked_tokens: revoked },
          now: input.now,
        });
      }
      return toRun(db, findRun(db, input.userId, input.runId), input.now);
    })
    .immediate();
}

/** Refuses a charge against a run that is over, or that would take the run over its budget. */
export function assertWithinRun(
  db: Db,
  charge: { userId: string; runId: string; amount: number; excludeTokenId?: string | undefined; now: number },
): void {
  const row = findRun(db, charge.userId, charge.runId);
  const status = statusOf(row, charge.now);
  if (status !== 'active') {
    throw spendRefusal('BUDGET_EXCEEDED', `run ${row.id} has ${status}; no more spending under it`, {
      limit: 'run',
      run_id: row.id,
      status,
    });
  }
  const scope = {
    userId: charge.userId,
    runId: row.id,
    excludeTokenId: charge.excludeTokenId,
    now: charge.now,
  };
  const used = spentIn(db, scope) + reservedIn(db, scope);
  if (used + charge.amount > row.budget) {
    const money = (amount: number) => formatMoney(amount, row.currency);
    throw spendRefusal(
      'BUDGET_EXCEEDED',
      `${money(charge.amount)} would take run ${row.id} over its budget of ${money(row.budget)} (${money(used)} already spent or reserved)`,
      { limit: 'run', run_id: row.id, budget: row.budget, used, requested: charge.amount },
    );
  }
}

/** Ends every active run of a user (freeze); returns how many. Joins the caller's transaction. */
export function endActiveRuns(db: Db, userId: string, reason: string, now: number): number {
  return db
    .prepare(
      'UPDATE money_runs SET ended_at = ?, end_reason = ? WHERE user_id = ? AND ended_at IS NULL AND expires_at > ?',
    )
    .run(now, reason, userId, now).changes;
}
