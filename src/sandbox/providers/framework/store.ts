import type Database from 'better-sqlite3';
import type { SandboxContext } from '../../context.js';
import type { Db } from '../../db.js';
import type { ResourceRecord } from './types.js';

type Statement = Database.Statement<unknown[]>;

/**
 * The provider framework's storage: its tables (one set per provider, prefixed `prov_<id>_`) and every
 * statement the framework runs on them. Store modules (`store.ts`) are the only provider files with SQL
 * (test/providers/boundary.test.ts); handlers and services call their named methods, so a platform that
 * runs this code on another database replaces these files only.
 */

/** A provider's slice of the sandbox database, handed to its store modules (and read by nothing else). */
export interface ProviderStorage {
  readonly db: Db;
  /** `prov_<id>_<name>`: every provider's tables live side by side in the one sandbox database. */
  table(name: string): string;
  /** Runs `work` atomically; nested inside another unit it is a savepoint that rolls back alone. */
  transaction<T>(work: () => T): T;
}

/** `prov_<id>_<name>`: every provider's tables live side by side in the one sandbox database. */
export function providerTable(providerId: string): (name: string) => string {
  const prefix = `prov_${providerId.replaceAll('-', '_')}`;
  return (name) => `${prefix}_${name}`;
}

export function providerStorage(ctx: SandboxContext, table: (name: string) => string): ProviderStorage {
  const db = ctx.db;
  return { db, table, transaction: (work) => db.transaction(work)() };
}

/** Base of the store modules: named statements over the provider's tables, each prepared once. */
export class TableStore {
  protected readonly storage: ProviderStorage;
  readonly #statements = new Map<string, Statement>();

  constructor(storage: ProviderStorage) {
    this.storage = storage;
  }

  transaction<T>(work: () => T): T {
    return this.storage.transaction(work);
  }

  /** The statement of `sql`, where `{name}` stands for the provider's table `name`. */
  protected sql(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.storage.db.prepare(
        sql.replace(/\{(\w+)\}/g, (_, name: string) => this.storage.table(name)),
      );
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

const openStores = new WeakMap<
  ProviderStorage,
  Map<new (storage: ProviderStorage) => TableStore, TableStore>
>();

/** The one `Store` over `storage` (services are shared constants, stores are per mounted provider). */
export function storeOf<S extends TableStore>(
  storage: ProviderStorage,
  Store: new (storage: ProviderStorage) => S,
): S {
  let stores = openStores.get(storage);
  if (!stores) {
    stores = new Map();
    openStores.set(storage, stores);
  }
  let store = stores.get(Store);
  if (!store) {
    store = new Store(storage);
    stores.set(Store, store);
  }
  return store as S;
}

/** The framework's tables, one set per provider (prefixed `prov_<id>_`). */
export function frameworkMigrations(table: (name: string) => string): string[] {
  return [
    `CREATE TABLE ${table('signatures')} (signature TEXT PRIMARY KEY, t INTEGER NOT NULL);
     CREATE TABLE ${table('accounts')} (
       id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, password_hash TEXT,
       auto_created INTEGER NOT NULL, created_at INTEGER NOT NULL);
     CREATE TABLE ${table('account_requests')} (
       id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES ${table('accounts')}(id),
       scopes TEXT NOT NULL, code_challenge TEXT NOT NULL, redirect_uri TEXT NOT NULL, state TEXT NOT NULL,
       consent_token TEXT NOT NULL, status TEXT NOT NULL, expires_at INTEGER NOT NULL);
     CREATE TABLE ${table('codes')} (
       code_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL, scopes TEXT NOT NULL,
       code_challenge TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);
     CREATE TABLE ${table('account_tokens')} (
       token_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL, scopes TEXT NOT NULL, created_at INTEGER NOT NULL);
     CREATE TABLE ${table('links')} (
       token_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL, purpose TEXT NOT NULL,
       expires_at INTEGER NOT NULL, used_at INTEGER);
     CREATE TABLE ${table('quotes')} (
       id TEXT PRIMARY KEY, service_id TEXT NOT NULL, config_hash TEXT NOT NULL, body TEXT NOT NULL,
       expires_at INTEGER NOT NULL);
     CREATE TABLE ${table('resources')} (
       id TEXT PRIMARY KEY, account_id TEXT NOT NULL, service_id TEXT NOT NULL, status TEXT NOT NULL,
       configuration TEXT NOT NULL, details TEXT NOT NULL, billing TEXT NOT NULL,
       idempotency_key TEXT, request_hash TEXT, capture_attempt INTEGER NOT NULL DEFAULT 0,
       sealed_answer TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
       UNIQUE (account_id, idempotency_key));
     CREATE TABLE ${table('credentials')} (
       token_hash TEXT PRIMARY KEY, resource_id TEXT NOT NULL, kind TEXT NOT NULL, created_at INTEGER NOT NULL);
     CREATE INDEX ${table('credentials_by_resource')} ON ${table('credentials')}(resource_id);`,
  ];
}

export interface AccountRow {
  id: string;
  email: string;
  name: string | null;
  password_hash: string | null;
  auto_created: number;
  created_at: number;
}

export interface PendingAccountRequest {
  id: string;
  account_id: string;
  scopes: string;
  code_challenge: string;
  redirect_uri: string;
  state: string;
  consent_token: string;
  status: 'pending' | 'approved' | 'denied';
  expires_at: number;
}

export interface CodeRow {
  code_hash: string;
  account_id: string;
  scopes: string;
  code_challenge: string;
  expires_at: number;
  used_at: number | null;
}

export interface LinkRow {
  token_hash: string;
  account_id: string;
  purpose: string;
  expires_at: number;
  used_at: number | null;
}

export interface QuoteRow {
  id: string;
  service_id: string;
  config_hash: string;
  body: string;
  expires_at: number;
}

export interface ResourceRow {
  id: string;
  account_id: string;
  service_id: string;
  status: ResourceRecord['status'];
  configuration: string;
  details: string;
  billing: string;
  idempotency_key: string | null;
  request_hash: string | null;
  capture_attempt: number;
  sealed_answer: string | null;
  created_at: number;
  updated_at: number;
}

/** A new resource row; the columns a later step sets (capture attempt, sealed answer) start empty. */
export type NewResourceRow = Omit<ResourceRow, 'capture_attempt' | 'sealed_answer'>;

export type ResourceSummary = Pick<ResourceRow, 'id' | 'service_id' | 'status' | 'details'>;

export function toRecord(row: ResourceRow): ResourceRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    serviceId: row.service_id,
    status: row.status,
    configuration: JSON.parse(row.configuration) as Record<string, unknown>,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

export class FrameworkStore extends TableStore {
  // Replay protection of orchestrator signatures.

  /** Records an accepted signature; false when it was accepted before (a replay). */
  rememberSignature(signature: string, timestamp: number): boolean {
    return (
      this.sql('INSERT OR IGNORE INTO {signatures} (signature, t) VALUES (?, ?)').run(signature, timestamp)
        .changes > 0
    );
  }

  forgetSignaturesBefore(timestamp: number): void {
    this.sql('DELETE FROM {signatures} WHERE t < ?').run(timestamp);
  }

  // Accounts and account tokens.

  account(id: string): AccountRow | undefined {
    return this.sql('SELECT * FROM {accounts} WHERE id = ?').get(id) as AccountRow | undefined;
  }

  accountByEmail(email: string): AccountRow | undefined {
    return this.sql('SELECT * FROM {accounts} WHERE email = ?').get(email) as AccountRow | undefined;
  }

  insertAccount(row: AccountRow): void {
    this.sql(
      `INSERT INTO {accounts} (id, email, name, password_hash, auto_created, created_at)
       VALUES (@id, @email, @name, @password_hash, @auto_created, @created_at)`,
    ).run(row);
  }

  /** The human claimed an auto-created account: it now has their password and is theirs. */
  claimAccount(id: string, passwordHash: string): void {
    this.sql('UPDATE {accounts} SET password_hash = ?, auto_created = 0 WHERE id = ?').run(passwordHash, id);
  }

  insertAccountToken(tokenHash: string, accountId: string, scopes: string, createdAt: number): void {
    this.sql(
      'INSERT INTO {account_tokens} (token_hash, account_id, scopes, created_at) VALUES (?, ?, ?, ?)',
    ).run(tokenHash, accountId, scopes, createdAt);
  }

  accountByToken(tokenHash: string): AccountRow | undefined {
    return this.sql(
      'SELECT a.* FROM {account_tokens} t JOIN {accounts} a ON a.id = t.account_id WHERE t.token_hash = ?',
    ).get(tokenHash) as AccountRow | undefined;
  }

  // Account requests that wait for the human on the consent page.

  insertAccountRequest(row: PendingAccountRequest): void {
    this.sql(
      `INSERT INTO {account_requests}
       (id, account_id, scopes, code_challenge, redirect_uri, state, consent_token, status, expires_at)
       VALUES (@id, @account_id, @scopes, @code_challenge, @redirect_uri, @state, @consent_token, @status, @expires_at)`,
    ).run(row);
  }

  accountRequest(id: string): PendingAccountRequest | undefined {
    return this.sql('SELECT * FROM {account_requests} WHERE id = ?').get(id) as
      | PendingAccountRequest
      | undefined;
  }

  settleAccountRequest(id: string, status: 'approved' | 'denied'): void {
    this.sql('UPDATE {account_requests} SET status = ? WHERE id = ?').run(status, id);
  }

  // Authorization codes.

  insertCode(row: Omit<CodeRow, 'used_at'>): void {
    this.sql(
      `INSERT INTO {codes} (code_hash, account_id, scopes, code_challenge, expires_at)
       VALUES (@code_hash, @account_id, @scopes, @code_challenge, @expires_at)`,
    ).run(row);
  }

  code(codeHash: string): CodeRow | undefined {
    return this.sql('SELECT * FROM {codes} WHERE code_hash = ?').get(codeHash) as CodeRow | undefined;
  }

  /** Burns a code; false when it was already used (of two concurrent exchanges, one wins). */
  useCode(codeHash: string, usedAt: number): boolean {
    return (
      this.sql('UPDATE {codes} SET used_at = ? WHERE code_hash = ? AND used_at IS NULL').run(usedAt, codeHash)
        .changes > 0
    );
  }

  // One-time deep links.

  insertLink(row: Omit<LinkRow, 'used_at'>): void {
    this.sql(
      `INSERT INTO {links} (token_hash, account_id, purpose, expires_at)
       VALUES (@token_hash, @account_id, @purpose, @expires_at)`,
    ).run(row);
  }

  link(tokenHash: string, purpose: string): LinkRow | undefined {
    return this.sql('SELECT * FROM {links} WHERE token_hash = ? AND purpose = ?').get(tokenHash, purpose) as
      | LinkRow
      | undefined;
  }

  useLink(tokenHash: string, usedAt: number): void {
    this.sql('UPDATE {links} SET used_at = ? WHERE token_hash = ?').run(usedAt, tokenHash);
  }

  // Quotes.

  insertQuote(row: QuoteRow): void {
    this.sql(
      `INSERT INTO {quotes} (id, service_id, config_hash, body, expires_at)
       VALUES (@id, @service_id, @config_hash, @body, @expires_at)`,
    ).run(row);
  }

  quote(id: string): QuoteRow | undefined {
    return this.sql('SELECT * FROM {quotes} WHERE id = ?').get(id) as QuoteRow | undefined;
  }

  // Resources.

  resource(id: string): ResourceRow | undefined {
    return this.sql('SELECT * FROM {resources} WHERE id = ?').get(id) as ResourceRow | undefined;
  }

  resourceByIdempotencyKey(accountId: string, key: string): ResourceRow | undefined {
    return this.sql('SELECT * FROM {resources} WHERE account_id = ? AND idempotency_key = ?').get(
      accountId,
      key,
    ) as ResourceRow | undefined;
  }

  resourcesOfAccount(accountId: string): ResourceSummary[] {
    return this.sql(
      'SELECT id, service_id, status, details FROM {resources} WHERE account_id = ? ORDER BY created_at',
    ).all(accountId) as ResourceSummary[];
  }

  insertResource(row: NewResourceRow): void {
    this.sql(
      `INSERT INTO {resources} (id, account_id, service_id, status, configuration, details, billing,
       idempotency_key, request_hash, created_at, updated_at)
       VALUES (@id, @account_id, @service_id, @status, @configuration, @details, @billing,
       @idempotency_key, @request_hash, @created_at, @updated_at)`,
    ).run(row);
  }

  /** A purchase whose payment was refused is provisioned again, pending its next capture attempt. */
  reprovisionResource(id: string, details: string, updatedAt: number): void {
    this.sql(`UPDATE {resources} SET status = 'pending', details = ?, updated_at = ? WHERE id = ?`).run(
      details,
      updatedAt,
      id,
    );
  }

  /** Pending → payment_failed for this capture attempt only; false when another request moved it first. */
  failResourcePayment(id: string, captureAttempt: number, updatedAt: number): boolean {
    return (
      this.sql(
        `UPDATE {resources} SET status = 'payment_failed', capture_attempt = capture_attempt + 1, updated_at = ?
         WHERE id = ? AND status = 'pending' AND capture_attempt = ?`,
      ).run(updatedAt, id, captureAttempt).changes > 0
    );
  }

  /** Pending → active; false when a concurrent retry activated it first. */
  activateResource(id: string, billing: string, updatedAt: number): boolean {
    return (
      this.sql(
        `UPDATE {resources} SET status = 'active', billing = ?, updated_at = ? WHERE id = ? AND status = 'pending'`,
      ).run(billing, updatedAt, id).changes > 0
    );
  }

  /** Keeps the sealed answer (credentials included) that retries of the creation replay. */
  setSealedAnswer(id: string, sealedAnswer: string): void {
    this.sql('UPDATE {resources} SET sealed_answer = ? WHERE id = ?').run(sealedAnswer, id);
  }

  /** New credentials were issued: the sealed answer changes with them. */
  rotateSealedAnswer(id: string, sealedAnswer: string, updatedAt: number): void {
    this.sql('UPDATE {resources} SET sealed_answer = ?, updated_at = ? WHERE id = ?').run(
      sealedAnswer,
      updatedAt,
      id,
    );
  }

  updateResourceConfiguration(id: string, configuration: string, details: string, updatedAt: number): void {
    this.sql('UPDATE {resources} SET configuration = ?, details = ?, updated_at = ? WHERE id = ?').run(
      configuration,
      details,
      updatedAt,
      id,
    );
  }

  markResourceRemoved(id: string, billing: string, updatedAt: number): void {
    this.sql(
      `UPDATE {resources} SET status = 'removed', billing = ?, sealed_answer = NULL, updated_at = ? WHERE id = ?`,
    ).run(billing, updatedAt, id);
  }

  // Resource credentials (only their hashes).

  insertCredential(tokenHash: string, resourceId: string, kind: string, createdAt: number): void {
    this.sql('INSERT INTO {credentials} (token_hash, resource_id, kind, created_at) VALUES (?, ?, ?, ?)').run(
      tokenHash,
      resourceId,
      kind,
      createdAt,
    );
  }

  credentialResourceId(tokenHash: string, kind: string): string | undefined {
    const row = this.sql('SELECT resource_id FROM {credentials} WHERE token_hash = ? AND kind = ?').get(
      tokenHash,
      kind,
    ) as { resource_id: string } | undefined;
    return row?.resource_id;
  }

  revokeCredentials(resourceId: string): void {
    this.sql('DELETE FROM {credentials} WHERE resource_id = ?').run(resourceId);
  }
}
