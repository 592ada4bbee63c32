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
  // Which sandbox process holds an in-progress claim: a restarted sandbox frees its dead predecessor's at once.
  'ALTER TABLE money_idempotency ADD COLUMN holder TEXT',
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

/**
 * Runs: the provider registry, projects, approvals, quotes, resources and their credentials, provider
 * accounts and consent links, purchases in flight. The first migration shipped as one script.
 */
export const RUNS_MIGRATIONS: readonly string[] = [
  [
    `
CREATE TABLE runs_providers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  base_url TEXT NOT NULL,
  signing_secret TEXT NOT NULL,
  terms_url TEXT NOT NULL,
  terms_version TEXT NOT NULL,
  updated_at TEXT NOT NULL
)`,
    `
CREATE TABLE runs_projects (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX runs_projects_user ON runs_projects (user_id)`,
    `
CREATE TABLE runs_approvals (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  status TEXT NOT NULL,
  kind TEXT NOT NULL,
  title TEXT NOT NULL,
  project_id TEXT,
  run_id TEXT,
  provider TEXT,
  service TEXT,
  name_asked TEXT,
  name_offered TEXT,
  price_amount INTEGER,
  price_currency TEXT,
  billing TEXT,
  refundable INTEGER NOT NULL,
  warnings TEXT NOT NULL,
  plan_hash TEXT NOT NULL,
  confirmation TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  decided_by TEXT,
  decided_via TEXT,
  decided_at TEXT,
  reason TEXT,
  consumed_at TEXT,
  consumed_by TEXT
);
CREATE INDEX runs_approvals_plan ON runs_approvals (user_id, plan_hash);
CREATE INDEX runs_approvals_user_status ON runs_approvals (user_id, status)`,
    `
CREATE TABLE runs_quotes (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  provider_quote_id TEXT NOT NULL,
  body TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL
)`,
    `
CREATE TABLE runs_resources (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  service TEXT NOT NULL,
  name TEXT,
  status TEXT NOT NULL,
  provider_resource_id TEXT NOT NULL,
  credential_names TEXT NOT NULL,
  price_amount INTEGER,
  price_currency TEXT,
  quote_id TEXT,
  approval_id TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX runs_resources_project ON runs_resources (project_id);
CREATE TABLE runs_resource_credentials (
  resource_id TEXT PRIMARY KEY REFERENCES runs_resources (id),
  access_configuration TEXT NOT NULL
)`,
    `
CREATE TABLE runs_provider_accounts (
  user_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  account_id TEXT NOT NULL,
  access_token TEXT NOT NULL,
  linked_at TEXT NOT NULL,
  PRIMARY KEY (user_id, provider)
);
CREATE TABLE runs_account_links (
  state TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  code_verifier TEXT NOT NULL,
  consent_url TEXT NOT NULL,
  expires_at TEXT NOT NULL
)`,
  ].join(';\n'),
  `
CREATE TABLE runs_inflight (
  user_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  quote_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (user_id, idempotency_key)
)`,
  // A claim is final unless the claimant says it is tentative (a purchase whose outcome may still be unknown).
  'ALTER TABLE runs_approvals ADD COLUMN claim_settled INTEGER NOT NULL DEFAULT 1',
  // The credentials a provider marked public (ids, URLs), in clear: listings show them. Older rows: none.
  `ALTER TABLE runs_resources ADD COLUMN public_credentials TEXT NOT NULL DEFAULT '{}'`,
  // One row per resource a provider created for a user: a rerun of a purchase step finds it, never adds one.
  'CREATE UNIQUE INDEX runs_resources_provider_resource ON runs_resources (user_id, provider, provider_resource_id)',
];

/** Identity: users, keys, sessions, grants and tokens, device and auth codes, API tokens, terms, cards. */
export const IDENTITY_MIGRATIONS: readonly string[] = [
  `CREATE TABLE identity_users (
     id TEXT PRIMARY KEY,
     email TEXT NOT NULL UNIQUE COLLATE NOCASE,
     password_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL);
   CREATE TABLE identity_keys (name TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE identity_sessions (
     token_hash TEXT PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     user_id TEXT NOT NULL REFERENCES identity_users(id),
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL);
   CREATE TABLE identity_grants (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES identity_users(id),
     client_id TEXT NOT NULL,
     scopes TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     revoked_at INTEGER);
   CREATE TABLE identity_oauth_tokens (
     token_hash TEXT PRIMARY KEY,
     grant_id TEXT NOT NULL REFERENCES identity_grants(id),
     kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     rotated_at INTEGER);
   CREATE INDEX identity_oauth_tokens_grant ON identity_oauth_tokens(grant_id);
   CREATE TABLE identity_device_codes (
     device_code_hash TEXT PRIMARY KEY,
     user_code TEXT NOT NULL UNIQUE,
     client_id TEXT NOT NULL,
     scopes TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     interval_seconds INTEGER NOT NULL,
     last_polled_at INTEGER,
     status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'consumed')),
     user_id TEXT REFERENCES identity_users(id));
   CREATE TABLE identity_auth_codes (
     code_hash TEXT PRIMARY KEY,
     client_id TEXT NOT NULL,
     redirect_uri TEXT NOT NULL,
     code_challenge TEXT NOT NULL,
     scopes TEXT NOT NULL,
     user_id TEXT NOT NULL REFERENCES identity_users(id),
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     used_at INTEGER,
     grant_id TEXT REFERENCES identity_grants(id));
   CREATE TABLE identity_api_tokens (
     id TEXT PRIMARY KEY,
     token_hash TEXT NOT NULL UNIQUE,
     user_id TEXT NOT NULL REFERENCES identity_users(id),
     name TEXT NOT NULL,
     scopes TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     last_used_at INTEGER,
     revoked_at INTEGER);
   CREATE TABLE identity_terms_acceptances (
     user_id TEXT NOT NULL REFERENCES identity_users(id),
     party TEXT NOT NULL,
     version TEXT NOT NULL,
     accepted_at INTEGER NOT NULL,
     PRIMARY KEY (user_id, party, version));
   CREATE TABLE identity_payment_methods (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES identity_users(id),
     brand TEXT NOT NULL,
     last4 TEXT NOT NULL,
     exp_month INTEGER NOT NULL,
     exp_year INTEGER NOT NULL,
     declines INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL);`,
];
