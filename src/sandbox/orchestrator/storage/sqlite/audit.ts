import { canonicalJson } from '../../../../core/canonical-json.js';
import { moneyOrNull } from '../../../../core/money.js';
import type { AuditEvent } from '../../../../protocol/money.js';
import type { Db } from '../../../db.js';
import type { AuditHead, AuditListQuery, AuditRepository, StoredAuditEvent } from '../../audit/repository.js';

/** SQLite implementation of the audit log (`audit_events`, and `audit_head` holding the last event). */

type AuditRow = Omit<StoredAuditEvent, 'price'> & { amount: number | null; currency: string | null };

function fromRow({ amount, currency, ...row }: AuditRow): StoredAuditEvent {
  return { ...row, price: moneyOrNull(amount, currency) };
}

function readHead(db: Db): AuditHead | undefined {
  return db.prepare('SELECT seq, event_id, hash FROM audit_head WHERE id = 1').get() as AuditHead | undefined;
}

function writeEvent(db: Db, event: AuditEvent): void {
  db.prepare(
    `INSERT INTO audit_events (seq, id, created_at, user_id, actor, run_id, project_id, action, subject,
       amount, currency, result, details, prev_hash, hash)
     VALUES (@seq, @id, @created_at, @user_id, @actor, @run_id, @project_id, @action, @subject,
       @amount, @currency, @result, @details, @prev_hash, @hash)`,
  ).run({
    ...event,
    amount: event.price?.amount ?? null,
    currency: event.price?.currency ?? null,
    details: canonicalJson(event.details),
  });
  db.prepare(
    `INSERT INTO audit_head (id, seq, event_id, hash) VALUES (1, @seq, @id, @hash)
     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, event_id = excluded.event_id, hash = excluded.hash`,
  ).run(event);
}

export class SqliteAuditRepository implements AuditRepository {
  constructor(private readonly db: Db) {}

  async head(): Promise<AuditHead | undefined> {
    return readHead(this.db);
  }

  async append(event: AuditEvent): Promise<void> {
    writeEvent(this.db, event);
  }

  async list(query: AuditListQuery): Promise<StoredAuditEvent[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM audit_events WHERE user_id = @userId
           AND (@since IS NULL OR created_at >= @since) AND (@runId IS NULL OR run_id = @runId)
         ORDER BY seq LIMIT @limit`,
      )
      .all({
        userId: query.userId,
        since: query.since ?? null,
        runId: query.runId ?? null,
        limit: query.limit,
      });
    return (rows as AuditRow[]).map(fromRow);
  }

  async *chain(): AsyncIterable<StoredAuditEvent> {
    // Read at once: an open better-sqlite3 iterator would keep the connection busy between the yields.
    const rows = this.db.prepare('SELECT * FROM audit_events ORDER BY seq').all() as AuditRow[];
    for (const row of rows) yield fromRow(row);
  }
}
