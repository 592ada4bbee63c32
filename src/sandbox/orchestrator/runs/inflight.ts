import type { Db } from '../../db.js';

/**
 * Purchases whose outcome is unknown (S3). Written, and committed, just before the orchestrator asks
 * the provider to create a paid resource; removed once the resource is recorded or the provider
 * definitely refused. A rerun with the same idempotency key that finds one here must not quote again —
 * the provider may already have charged, the domain may already be ours and quote as "taken" — but
 * resume with the same quote, the same payment token and the same key, so that the provider answers
 * with the resource it created the first time.
 */
export const INFLIGHT_MIGRATION = `
CREATE TABLE runs_inflight (
  user_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  quote_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (user_id, idempotency_key)
)`;

export class InflightPurchases {
  constructor(private readonly db: Db) {}

  /** The quote of an earlier attempt under this key whose outcome is unknown, if any. */
  quoteFor(userId: string, key: string): string | undefined {
    const row = this.db
      .prepare('SELECT quote_id FROM runs_inflight WHERE user_id = ? AND idempotency_key = ?')
      .get(userId, key) as { quote_id: string } | undefined;
    return row?.quote_id;
  }

  remember(userId: string, key: string, quoteId: string, now: Date): void {
    this.db
      .prepare(
        `INSERT INTO runs_inflight (user_id, idempotency_key, quote_id, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id, idempotency_key) DO NOTHING`,
      )
      .run(userId, key, quoteId, now.toISOString());
  }

  forget(userId: string, key: string): void {
    this.db.prepare('DELETE FROM runs_inflight WHERE user_id = ? AND idempotency_key = ?').run(userId, key);
  }
}
