import type { Limits } from '../../../../protocol/money.js';
import type { Db } from '../../../db.js';
import { monthOf } from '../../money/format.js';
import type {
  BudgetRunRecord,
  BudgetRunRepository,
  CaptureRecord,
  FreezeRecord,
  FreezeRepository,
  GateRecord,
  GateRepository,
  IdempotencyClaim,
  IdempotencyRecord,
  IdempotencyRepository,
  LedgerRepository,
  LimitsRepository,
  NewPaymentToken,
  PaymentTokenRecord,
  SpendQuery,
} from '../../money/repository.js';

/** SQLite implementations of the money repositories (tables in migrations.ts, `money_*`). */

export class SqliteLedgerRepository implements LedgerRepository {
  constructor(private readonly db: Db) {}

  async tokenKey(): Promise<string> {
    const row = this.db.prepare(`SELECT value FROM money_keys WHERE name = 'payment_token'`).get() as {
      value: string;
    };
    return row.value;
  }

  async findToken(id: string): Promise<PaymentTokenRecord | undefined> {
    return this.db
      .prepare(
        `SELECT id, user_id, project_id, run_id, provider_id, max_amount, currency, status, expires_at,
           revoke_reason FROM money_tokens WHERE id = ?`,
      )
      .get(id) as PaymentTokenRecord | undefined;
  }

  async insertToken(token: NewPaymentToken): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO money_tokens (id, user_id, project_id, run_id, provider_id, max_amount, currency,
           description, status, created_at, expires_at)
         VALUES (@id, @user_id, @project_id, @run_id, @provider_id, @max_amount, @currency, @description,
           'active', @created_at, @expires_at)`,
      )
      .run(token);
  }

  async markCaptured(tokenId: string): Promise<void> {
    this.db.prepare(`UPDATE money_tokens SET status = 'captured' WHERE id = ?`).run(tokenId);
  }

  async revokeToken(input: {
    tokenId: string;
    userId: string;
    reason: string;
    now: number;
  }): Promise<boolean> {
    const { changes } = this.db
      .prepare(
        `UPDATE money_tokens SET status = 'revoked', revoked_at = ?, revoke_reason = ?
         WHERE id = ? AND user_id = ? AND status = 'active'`,
      )
      .run(input.now, input.reason, input.tokenId, input.userId);
    return changes > 0;
  }

  async revokeActiveTokens(
    owner: { userId: string } | { runId: string },
    reason: string,
    now: number,
  ): Promise<number> {
    const [column, value] = 'userId' in owner ? ['user_id', owner.userId] : ['run_id', owner.runId];
    return this.db
      .prepare(
        `UPDATE money_tokens SET status = 'revoked', revoked_at = ?, revoke_reason = ?
         WHERE ${column} = ? AND status = 'active'`,
      )
      .run(now, reason, value).changes;
  }

  async insertCapture(capture: CaptureRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO money_captures (id, token_id, user_id, provider_id, project_id, run_id, amount, currency,
           month, description, created_at)
         VALUES (@id, @token_id, @user_id, @provider_id, @project_id, @run_id, @amount, @currency, @month,
           @description, @created_at)`,
      )
      .run(capture);
  }

  async spent(query: SpendQuery): Promise<number> {
    const row = this.db
      .prepare(
        `SELECT COALESCE(SUM(amount), 0) AS total FROM money_captures
         WHERE user_id = @userId AND (@runId IS NOT NULL OR month = @month)
           AND (@providerId IS NULL OR provider_id = @providerId) AND (@runId IS NULL OR run_id = @runId)`,
      )
      .get({
        userId: query.userId,
        month: monthOf(query.now),
        providerId: query.providerId ?? null,
        runId: query.runId ?? null,
      });
    return (row as { total: number }).total;
  }

  async reserved(query: SpendQuery): Promise<number> {
    const row = this.db
      .prepare(
        `SELECT COALESCE(SUM(max_amount), 0) AS total FROM money_tokens
         WHERE user_id = @userId AND status = 'active' AND expires_at > @now
           AND (@providerId IS NULL OR provider_id = @providerId) AND (@runId IS NULL OR run_id = @runId)
           AND (@exclude IS NULL OR id <> @exclude)`,
      )
      .get({
        userId: query.userId,
        now: query.now,
        providerId: query.providerId ?? null,
        runId: query.runId ?? null,
        exclude: query.excludeTokenId ?? null,
      });
    return (row as { total: number }).total;
  }

  async tokensIssuedSince(input: {
    userId: string;
    projectId: string | null;
    since: number;
  }): Promise<number> {
    const row = this.db
      .prepare(
        `SELECT COUNT(*) AS n FROM money_tokens WHERE user_id = @userId
           AND ((@projectId IS NULL AND project_id IS NULL) OR project_id = @projectId) AND created_at > @since`,
      )
      .get(input);
    return (row as { n: number }).n;
  }

  async providersWithSpend(userId: string, month: string, now: number): Promise<string[]> {
    const rows = this.db
      .prepare(
        `SELECT provider_id FROM money_captures WHERE user_id = ? AND month = ?
         UNION SELECT provider_id FROM money_tokens WHERE user_id = ? AND status = 'active' AND expires_at > ?
         ORDER BY provider_id`,
      )
      .all(userId, month, userId, now) as { provider_id: string }[];
    return rows.map((row) => row.provider_id);
  }
}

export class SqliteLimitsRepository implements LimitsRepository {
  constructor(private readonly db: Db) {}

  async get(userId: string): Promise<Partial<Limits> | undefined> {
    const row = this.db.prepare('SELECT limits FROM money_limits WHERE user_id = ?').get(userId) as
      | { limits: string }
      | undefined;
    return row ? (JSON.parse(row.limits) as Partial<Limits>) : undefined;
  }

  async put(userId: string, limits: Limits, now: number): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO money_limits (user_id, limits, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET limits = excluded.limits, updated_at = excluded.updated_at`,
      )
      .run(userId, JSON.stringify(limits), now);
  }
}

export class SqliteBudgetRunRepository implements BudgetRunRepository {
  constructor(private readonly db: Db) {}

  async find(userId: string, runId: string): Promise<BudgetRunRecord | undefined> {
    return this.db
      .prepare(
        `SELECT id, user_id, project_id, currency, budget, created_at, expires_at, ended_at, end_reason
         FROM money_runs WHERE id = ? AND user_id = ?`,
      )
      .get(runId, userId) as BudgetRunRecord | undefined;
  }

  async insert(run: BudgetRunRecord, createdBy: string): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO money_runs (id, user_id, project_id, currency, budget, created_by, created_at, expires_at)
         VALUES (@id, @user_id, @project_id, @currency, @budget, @created_by, @created_at, @expires_at)`,
      )
      .run({ ...run, created_by: createdBy });
  }

  async end(runId: string, reason: string, now: number): Promise<void> {
    this.db
      .prepare('UPDATE money_runs SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL')
      .run(now, reason, runId);
  }

  async endActive(userId: string, reason: string, now: number): Promise<number> {
    return this.db
      .prepare(
        'UPDATE money_runs SET ended_at = ?, end_reason = ? WHERE user_id = ? AND ended_at IS NULL AND expires_at > ?',
      )
      .run(now, reason, userId, now).changes;
  }
}

export class SqliteFreezeRepository implements FreezeRepository {
  constructor(private readonly db: Db) {}

  async get(userId: string): Promise<FreezeRecord | undefined> {
    const row = this.db
      .prepare('SELECT frozen, reason, frozen_at, frozen_by FROM money_freezes WHERE user_id = ?')
      .get(userId) as (Omit<FreezeRecord, 'frozen'> & { frozen: number }) | undefined;
    return row && { ...row, frozen: row.frozen === 1 };
  }

  async freeze(input: { userId: string; actor: string; reason: string | null; now: number }): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO money_freezes (user_id, frozen, reason, frozen_at, frozen_by, updated_at) VALUES (?, 1, ?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET frozen = 1, reason = excluded.reason, frozen_at = excluded.frozen_at,
           frozen_by = excluded.frozen_by, updated_at = excluded.updated_at`,
      )
      .run(input.userId, input.reason, input.now, input.actor, input.now);
  }

  async lift(userId: string, now: number): Promise<void> {
    this.db.prepare('UPDATE money_freezes SET frozen = 0, updated_at = ? WHERE user_id = ?').run(now, userId);
  }
}

export class SqliteGateRepository implements GateRepository {
  constructor(private readonly db: Db) {}

  async find(approvalId: string): Promise<GateRecord | undefined> {
    const row = this.db
      .prepare(
        'SELECT approval_id, user_id, kind, payload, applied_at FROM money_gates WHERE approval_id = ?',
      )
      .get(approvalId) as (Omit<GateRecord, 'payload'> & { payload: string }) | undefined;
    return row && { ...row, payload: JSON.parse(row.payload) as Record<string, unknown> };
  }

  async remember(gate: Omit<GateRecord, 'applied_at'>, now: number): Promise<void> {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO money_gates (approval_id, user_id, kind, payload, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(gate.approval_id, gate.user_id, gate.kind, JSON.stringify(gate.payload), now);
  }

  async markApplied(approvalId: string, now: number): Promise<void> {
    this.db.prepare('UPDATE money_gates SET applied_at = ? WHERE approval_id = ?').run(now, approvalId);
  }
}

export class SqliteIdempotencyRepository implements IdempotencyRepository {
  constructor(private readonly db: Db) {}

  async purgeExpired(now: number): Promise<void> {
    this.db.prepare('DELETE FROM money_idempotency WHERE expires_at < ?').run(now);
  }

  async find(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
    const row = this.db
      .prepare(
        `SELECT request_hash, state, result, locked_until, holder FROM money_idempotency
         WHERE scope = ? AND key = ?`,
      )
      .get(scope, key) as (Omit<IdempotencyRecord, 'result'> & { result: string | null }) | undefined;
    return row && { ...row, result: JSON.parse(row.result ?? 'null') };
  }

  async claim(input: IdempotencyClaim): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO money_idempotency
           (scope, key, request_hash, state, result, locked_until, holder, created_at, expires_at)
         VALUES (@scope, @key, @requestHash, 'in_progress', NULL, @lockedUntil, @holder, @now, @expiresAt)
         ON CONFLICT (scope, key) DO UPDATE SET locked_until = excluded.locked_until, holder = excluded.holder`,
      )
      .run(input);
  }

  async complete(scope: string, key: string, result: unknown): Promise<void> {
    this.db
      .prepare(
        `UPDATE money_idempotency SET state = 'done', result = ?, locked_until = 0 WHERE scope = ? AND key = ?`,
      )
      .run(JSON.stringify(result), scope, key);
  }

  async release(scope: string, key: string): Promise<void> {
    this.db
      .prepare(`DELETE FROM money_idempotency WHERE scope = ? AND key = ? AND state = 'in_progress'`)
      .run(scope, key);
  }
}
