import { GATES_MIGRATION } from './gates.js';
import { IDEMPOTENCY_MIGRATION } from './idempotency.js';

/**
 * Tables of the money module. Times are integer milliseconds (UTC) so that limits compare numbers;
 * amounts are integer minor units. Reservations are the `active` payment tokens that have not expired.
 */
export const MONEY_MIGRATIONS = [
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
  IDEMPOTENCY_MIGRATION,
  GATES_MIGRATION,
];
