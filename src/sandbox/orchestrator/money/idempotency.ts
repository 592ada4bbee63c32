import type { FastifyReply } from 'fastify';
import { canonicalHash } from '../../../core/canonical-json.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { Db } from '../../db.js';

/**
 * A generic idempotency store (S3). A key is claimed with the hash of its request body; the first result is
 * kept for at least 24 h and returned, marked as a replay, to any repeat with the same body. The same key
 * with a different body is IDEMPOTENCY_CONFLICT; a repeat while the first is still running is told to retry
 * after a moment (409 + Retry-After). A claim is a lease, so a crashed holder does not lock its key forever.
 * Keys are namespaced by `scope` (e.g. `capture:<provider>` or `provision:<user>`).
 */
export const IDEMPOTENCY_MIGRATION = `CREATE TABLE money_idempotency (
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
CREATE INDEX money_idempotency_expiry ON money_idempotency (expires_at);`;

export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
const DEFAULT_LEASE_MS = 120_000;
const RETRY_AFTER_SECONDS = 1;

export interface IdempotentRequest {
  scope: string;
  key: string;
  /** Whatever identifies the operation (fields that are fresh on every retry, like request_id, left out). */
  body: unknown;
  now?: number;
}

export type Claim<T> = { kind: 'new' } | { kind: 'replay'; result: T };

interface KeyRow {
  request_hash: string;
  state: 'in_progress' | 'done';
  result: string | null;
  locked_until: number;
}

function conflict(key: string): ProjectsError {
  return new ProjectsError(
    'IDEMPOTENCY_CONFLICT',
    `idempotency key '${key}' was already used for a different request; a new operation needs a new key`,
    { httpStatus: 409, details: { idempotency_key: key } },
  );
}

function inProgress(key: string): ProjectsError {
  return new ProjectsError(
    'IDEMPOTENCY_CONFLICT',
    `a request with idempotency key '${key}' is still in progress; retry after ${RETRY_AFTER_SECONDS} s to get its result`,
    {
      httpStatus: 409,
      details: { idempotency_key: key, in_progress: true, retry_after: RETRY_AFTER_SECONDS },
    },
  );
}

/**
 * Claims `key` for a new operation, or answers the stored result of a finished identical one. Throws
 * IDEMPOTENCY_CONFLICT for a different body or a live claim. Runs in (or joins) a write transaction.
 */
export function claimIdempotencyKey<T>(
  db: Db,
  request: IdempotentRequest,
  leaseMs = DEFAULT_LEASE_MS,
): Claim<T> {
  const now = request.now ?? Date.now();
  const hash = canonicalHash(request.body);
  return db
    .transaction((): Claim<T> => {
      db.prepare('DELETE FROM money_idempotency WHERE expires_at < ?').run(now);
      const row = db
        .prepare(
          'SELECT request_hash, state, result, locked_until FROM money_idempotency WHERE scope = ? AND key = ?',
        )
        .get(request.scope, request.key) as KeyRow | undefined;
      if (row && row.request_hash !== hash) throw conflict(request.key);
      if (row?.state === 'done') return { kind: 'replay', result: JSON.parse(row.result ?? 'null') as T };
      if (row && row.locked_until > now) throw inProgress(request.key);
      db.prepare(
        `INSERT INTO money_idempotency (scope, key, request_hash, state, result, locked_until, created_at, expires_at)
         VALUES (?, ?, ?, 'in_progress', NULL, ?, ?, ?)
         ON CONFLICT (scope, key) DO UPDATE SET locked_until = excluded.locked_until`,
      ).run(request.scope, request.key, hash, now + leaseMs, now, now + IDEMPOTENCY_RETENTION_MS);
      return { kind: 'new' };
    })
    .immediate();
}

/** Stores the first result of a claimed key; from now on repeats get it back as a replay. */
export function completeIdempotencyKey(db: Db, request: IdempotentRequest, result: unknown): void {
  db.prepare(
    `UPDATE money_idempotency SET state = 'done', result = ?, locked_until = 0 WHERE scope = ? AND key = ?`,
  ).run(JSON.stringify(result), request.scope, request.key);
}

/** Gives a claimed key back after a failure, so that a retry runs the operation again. */
export function releaseIdempotencyKey(db: Db, request: IdempotentRequest): void {
  db.prepare(`DELETE FROM money_idempotency WHERE scope = ? AND key = ? AND state = 'in_progress'`).run(
    request.scope,
    request.key,
  );
}

/**
 * Runs a synchronous operation exactly once per key, inside one transaction with it: the claim, the work and
 * the stored result commit together, so there is never an in-progress window to observe.
 */
export function idempotentSync<T>(
  db: Db,
  request: IdempotentRequest,
  work: () => T,
): { result: T; replayed: boolean } {
  return db
    .transaction(() => {
      const claim = claimIdempotencyKey<T>(db, request);
      if (claim.kind === 'replay') return { result: claim.result, replayed: true };
      const result = work();
      completeIdempotencyKey(db, request, result);
      return { result, replayed: false };
    })
    .immediate();
}

/**
 * Runs an asynchronous operation (e.g. a provision call that talks to a provider) at most once per key.
 * A failure releases the key so that the retry runs again; a concurrent duplicate gets 409 + Retry-After
 * (the header is set on `reply` when given).
 */
export async function withIdempotency<T>(
  db: Db,
  request: IdempotentRequest,
  work: () => Promise<T>,
  options: { reply?: FastifyReply; leaseMs?: number } = {},
): Promise<{ result: T; replayed: boolean }> {
  let claim: Claim<T>;
  try {
    claim = claimIdempotencyKey<T>(db, request, options.leaseMs);
  } catch (error) {
    if (error instanceof ProjectsError && error.details?.in_progress) {
      options.reply?.header('retry-after', String(RETRY_AFTER_SECONDS));
    }
    throw error;
  }
  if (claim.kind === 'replay') return { result: claim.result, replayed: true };
  try {
    const result = await work();
    completeIdempotencyKey(db, request, result);
    return { result, replayed: false };
  } catch (error) {
    releaseIdempotencyKey(db, request);
    throw error;
  }
}
