/**
 * The SQLite schema of the orchestrator's repositories, per module (the migration namespace). Migrations
 * are applied once each, in order (src/sandbox/db.ts): never edit one that shipped, append a new one.
 * Times are integer milliseconds (UTC) so that limits compare numbers; amounts are integer minor units.
 */

/** Money: keys, limits, freezes, runs, payment tokens (reservations), captures (the ledger), idempotency, gates. */
export const MONEY_MIGRATIONS: readonly string[] = [
  `CREATE TABLE money_keys (name TEXT PRIMARY KEY, value TEXT NOT NULL);
  INSERT INTO money_keys (name, value) VALUES ('payment_token', lower(hex(randomblob(32))));
  CREATE TABLE money_limits (user_id TEXT PRIMARY KEY, limits TEXT NOT NULL, updated_at INTEGER NOT NULL);
  CREATE TABLE money_freezes (
    user_id TEXT PRIMARY KEY,
    frozen INTEGER NOT NULL,
    reason TEXT,
    frozen_at INTEGER,
    frozen_by TEXT,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE money_runs (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    project_id TEXT,
    currency TEXT NOT NULL,
    budget INTEGER NOT NULL CHECK (budget >= 0),
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ended_at INTEGER,
    end_reason TEXT
  );
  CREATE INDEX money_runs_user ON money_runs (user_id, ended_at);
  CREATE TABLE money_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    project_id TEXT,
    run_id TEXT REFERENCES money_runs (id),
    provider_id TEXT NOT NULL,
    max_amount INTEGER NOT NULL CHECK (max_amount > 0),
    currency TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'captured', 'revoked')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    revoke_reason TEXT
  );
  CREATE INDEX money_tokens_user ON money_tokens (user_id, status);
  CREATE INDEX money_tokens_run ON money_tokens (run_id, status);
  CREATE INDEX money_tokens_project ON money_tokens (project_id, created_at);
  CREATE TABLE money_captures (
    id TEXT PRIMARY KEY,
    token_id TEXT NOT NULL UNIQUE REFERENCES money_tokens (id),
    user_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    project_id TEXT,
    run_id TEXT,
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    month TEXT NOT NULL,
    description TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX money_captures_user ON money_captures (user_id, month, provider_id);
  CREATE INDEX money_captures_run ON money_captures (run_id);`,
  `CREATE TABLE money_idempotency (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
  result TEXT,
  locked_until INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX money_idempotency_expiry ON money_idempotency (expires_at);`,
  `CREATE TABLE money_gates (
  approval_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('budget_raise', 'unfreeze')),
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  applied_at INTEGER
)`,
];

/** The hash-chained audit log and the head record that anchors its last event. */
export const AUDIT_MIGRATIONS: readonly string[] = [
  `CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    user_id TEXT,
    actor TEXT NOT NULL,
    run_id TEXT,
    project_id TEXT,
    action TEXT NOT NULL,
    subject TEXT,
    amount INTEGER,
    currency TEXT,
    result TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX audit_events_user ON audit_events (user_id, seq);
  CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, event_id TEXT NOT NULL, hash TEXT NOT NULL);`,
];
