import { formatMoney } from '../../../core/money.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { Run } from '../../../protocol/money.js';
import { appendAudit } from '../audit/chain.js';
import { newId } from '../runs/ids.js';
import type { OrchestratorStorage, OrchestratorTx } from '../storage/unit-of-work.js';
import { isoTime, spendRefusal } from './format.js';
import { usedIn } from './limits.js';
import type { BudgetRunRecord } from './repository.js';

/**
 * Agent runs (`projects run start --budget`): a spend ceiling with a lifetime. Every payment token issued
 * for a run counts against its budget (reserved until captured, then spent); an ended or expired run can
 * neither get tokens nor capture them.
 */
const DEFAULT_RUN_TTL_SECONDS = 2 * 3600;
const MAX_RUN_TTL_SECONDS = 7 * 86_400;

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

async function findRun(tx: OrchestratorTx, userId: string, runId: string): Promise<BudgetRunRecord> {
  const row = await tx.budgetRuns.find(userId, runId);
  if (!row) {
    throw new ProjectsError('NOT_FOUND', `no run '${runId}' for this user`, {
      httpStatus: 404,
      next: [{ command: 'projects run start --budget USD', why: 'start a run and export PROJECTS_RUN_ID' }],
    });
  }
  return row;
}

function statusOf(row: BudgetRunRecord, now: number): Run['status'] {
  if (row.ended_at !== null) return 'ended';
  return row.expires_at <= now ? 'expired' : 'active';
}

async function toRun(tx: OrchestratorTx, row: BudgetRunRecord, now: number): Promise<Run> {
  const scope = { userId: row.user_id, runId: row.id, now };
  const spent = await tx.ledger.spent(scope);
  const reserved = await tx.ledger.reserved(scope);
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

export function createRun(store: OrchestratorStorage, input: CreateRunInput): Promise<Run> {
  return store.transaction(async (tx) => {
    const row: BudgetRunRecord = {
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
    await tx.budgetRuns.insert(row, input.actor);
    await appendAudit(tx, {
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
    return toRun(tx, row, input.now);
  });
}

export function getRun(store: OrchestratorStorage, userId: string, runId: string, now: number): Promise<Run> {
  return store.transaction(async (tx) => toRun(tx, await findRun(tx, userId, runId), now));
}

/** Ends one run and revokes the payment tokens still outstanding under it. */
export function endRun(
  store: OrchestratorStorage,
  input: { userId: string; actor: string; runId: string; reason: string; now: number },
): Promise<Run> {
  return store.transaction(async (tx) => {
    const row = await findRun(tx, input.userId, input.runId);
    if (row.ended_at === null) {
      await tx.budgetRuns.end(row.id, input.reason, input.now);
      const revoked = await tx.ledger.revokeActiveTokens({ runId: row.id }, 'run_ended', input.now);
      await appendAudit(tx, {
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
    return toRun(tx, await findRun(tx, input.userId, input.runId), input.now);
  });
}

/** Refuses a charge against a run that is over, or that would take the run over its budget. */
export async function assertWithinRun(
  tx: OrchestratorTx,
  charge: { userId: string; runId: string; amount: number; excludeTokenId?: string | undefined; now: number },
): Promise<void> {
  const row = await findRun(tx, charge.userId, charge.runId);
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
  const used = await usedIn(tx, scope);
  if (used + charge.amount > row.budget) {
    const money = (amount: number) => formatMoney(amount, row.currency);
    throw spendRefusal(
      'BUDGET_EXCEEDED',
      `${money(charge.amount)} would take run ${row.id} over its budget of ${money(row.budget)} (${money(used)} already spent or reserved)`,
      { limit: 'run', run_id: row.id, budget: row.budget, used, requested: charge.amount },
    );
  }
}
