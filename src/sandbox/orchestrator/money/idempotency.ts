import type { FastifyReply } from 'fastify';
import { canonicalHash } from '../../../core/canonical-json.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { OrchestratorStorage, OrchestratorTx } from '../storage/unit-of-work.js';
import type { IdempotencyRecord } from './repository.js';

/**
 * A generic idempotency store (S3). A key is claimed with the hash of its request body; the first result is
 * kept for at least 24 h and returned, marked as a replay, to any repeat with the same body. The same key
 * with a different body is IDEMPOTENCY_CONFLICT; a repeat while the first is still running is told to retry
 * after a moment (409 + Retry-After). A claim records the storage instance (the sandbox process) holding
 * it: a claim of another instance was left by a process that died (one process serves a data directory),
 * so a rerun after a restart takes it over at once. Within the live process a claim is a lease, so a hung
 * holder does not lock its key forever. Taking a key over re-runs the operation: whatever it already did
 * must be idempotent itself (provision: the payment token's key, the provider's key, the capture's key).
 * Keys are namespaced by `scope` (e.g. `capture:<provider>` or `provision:<user>`).
 */
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
 * IDEMPOTENCY_CONFLICT for a different body or a live claim. One unit of work (or joins the caller's), so
 * of concurrent identical requests exactly one gets `new`.
 */
export function claimIdempotencyKey<T>(
  store: OrchestratorStorage,
  request: IdempotentRequest,
  leaseMs = DEFAULT_LEASE_MS,
): Promise<Claim<T>> {
  const now = request.now ?? Date.now();
  const hash = canonicalHash(request.body);
  return store.transaction(async (tx): Promise<Claim<T>> => {
    await tx.idempotency.purgeExpired(now);
    const found = await tx.idempotency.find(request.scope, request.key);
    if (found && found.request_hash !== hash) throw conflict(request.key);
    if (found?.state === 'done') return { kind: 'replay', result: found.result as T };
    if (found && isLiveClaim(found, tx.instance, now)) throw inProgress(request.key);
    await tx.idempotency.claim({
      scope: request.scope,
      key: request.key,
      requestHash: hash,
      lockedUntil: now + leaseMs,
      holder: tx.instance,
      now,
      expiresAt: now + IDEMPOTENCY_RETENTION_MS,
    });
    return { kind: 'new' };
  });
}

/** Held by this very process (another instance is a dead one), and within its lease. */
function isLiveClaim(claim: IdempotencyRecord, instance: string, now: number): boolean {
  return claim.holder === instance && claim.locked_until > now;
}

/** Stores the first result of a claimed key; from now on repeats get it back as a replay. */
function completeIdempotencyKey(
  store: OrchestratorStorage,
  request: IdempotentRequest,
  result: unknown,
): Promise<void> {
  return store.transaction((tx) => tx.idempotency.complete(request.scope, request.key, result));
}

/** Gives a claimed key back after a failure, so that a retry runs the operation again. */
function releaseIdempotencyKey(store: OrchestratorStorage, request: IdempotentRequest): Promise<void> {
  return store.transaction((tx) => tx.idempotency.release(request.scope, request.key));
}

/**
 * Runs an operation on stored state exactly once per key, inside one unit of work with it: the claim, the
 * work and the stored result commit together, so there is never an in-progress window to observe.
 */
export function idempotentUnit<T>(
  store: OrchestratorStorage,
  request: IdempotentRequest,
  work: (tx: OrchestratorTx) => Promise<T>,
): Promise<{ result: T; replayed: boolean }> {
  return store.transaction(async (tx) => {
    const claim = await claimIdempotencyKey<T>(tx, request);
    if (claim.kind === 'replay') return { result: claim.result, replayed: true };
    const result = await work(tx);
    await completeIdempotencyKey(tx, request, result);
    return { result, replayed: false };
  });
}

/**
 * Completes the claimed key inside the caller's unit of work, so that the result is stored atomically with
 * the state it describes: a process that dies before that unit commits leaves neither, one that dies after
 * leaves both (a rerun gets the replay).
 */
export type CompleteInUnit<T> = (tx: OrchestratorTx, result: T) => Promise<void>;

/**
 * Runs an asynchronous operation (e.g. a provision call that talks to a provider) at most once per key.
 * The claim, the work and the result are separate units (the work talks to the network, which a unit must
 * not), so a concurrent duplicate gets 409 + Retry-After (the header is set on `reply` when given), and a
 * failure releases the key so that the retry runs again. Work whose last step is a unit of its own should
 * store the result in it (`complete`); otherwise it is stored in a unit after the work.
 */
export async function withIdempotency<T>(
  store: OrchestratorStorage,
  request: IdempotentRequest,
  work: (complete: CompleteInUnit<T>) => Promise<T>,
  options: { reply?: FastifyReply; leaseMs?: number } = {},
): Promise<{ result: T; replayed: boolean }> {
  let claim: Claim<T>;
  try {
    claim = await claimIdempotencyKey<T>(store, request, options.leaseMs);
  } catch (error) {
    if (error instanceof ProjectsError && error.details?.in_progress) {
      options.reply?.header('retry-after', String(RETRY_AFTER_SECONDS));
    }
    throw error;
  }
  if (claim.kind === 'replay') return { result: claim.result, replayed: true };
  let completed = false;
  const complete: CompleteInUnit<T> = async (tx, result) => {
    await completeIdempotencyKey(tx, request, result);
    completed = true;
  };
  try {
    const result = await work(complete);
    if (!completed) await completeIdempotencyKey(store, request, result);
    return { result, replayed: false };
  } catch (error) {
    // Releases only a claim still in progress: a result stored by a committed unit stays.
    await releaseIdempotencyKey(store, request);
    throw error;
  }
}
