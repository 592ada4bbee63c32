import { type ErrorCode, ProjectsError } from '../protocol/errors.js';
import type { CircuitBreaker } from './breaker.js';
import { type Clock, systemClock } from './clock.js';

/**
 * Bounded retries with exponential backoff and full jitter (sleep = random × min(cap, base × 2^n)),
 * honouring `Retry-After`. Wraps any request function that throws ProjectsError the way
 * `HttpClient` and `ProviderClient` do:
 *
 *   const resource = await withRetries(() => client.post(path, body, { idempotencyKey }), {
 *     retrySafe: isRetrySafe('POST', idempotencyKey), breaker: breakers.for(host) });
 *
 * Only calls that are safe to repeat are retried: idempotent methods, or calls carrying an
 * idempotency key (the server answers a repeat with the first result). A spend refusal is never
 * retried — the same request would be refused again, and a retry loop is exactly what S2 stops.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  /** Cap of one backoff sleep before jitter. */
  maxDelayMs: number;
  /** A server asking to wait longer than this is not waited for: the command fails now (S8: no hang). */
  maxRetryAfterMs: number;
  /** Total time budget across attempts and sleeps; no retry starts that would end past it. */
  maxElapsedMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 30_000,
  maxElapsedMs: 60_000,
};

export interface RetryOptions {
  /** Whether repeating the call is harmless: see isRetrySafe. Unsafe calls run exactly once. */
  retrySafe: boolean;
  policy?: Partial<RetryPolicy>;
  clock?: Clock;
  breaker?: CircuitBreaker;
  /** Told before each sleep, e.g. for the --debug log. */
  onRetry?: (event: { attempt: number; delayMs: number; error: ProjectsError }) => void;
}

/** Spend refusals (S2/S4): answered on purpose and final; retrying would only hit the limit again. */
export const NEVER_RETRIED: ReadonlySet<ErrorCode> = new Set([
  'BUDGET_EXCEEDED',
  'CAP_EXCEEDED',
  'VELOCITY_LIMITED',
  'PAYMENT_DECLINED',
  'FROZEN',
]);

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** RFC 9110 idempotent methods, or any call that carries an idempotency key. */
export function isRetrySafe(method: string, idempotencyKey?: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase()) || Boolean(idempotencyKey);
}

export async function withRetries<T>(
  request: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    options.breaker?.admit();
    let error: ProjectsError;
    try {
      const result = await request(attempt);
      options.breaker?.recordSuccess();
      return result;
    } catch (thrown) {
      if (!(thrown instanceof ProjectsError)) {
        // Not one of ours (a raw network error, or a bug): never retried, but it must still settle a
        // half-open probe, or the breaker would refuse forever.
        options.breaker?.recordFailure();
        throw thrown;
      }
      error = thrown;
    }
    recordOutcome(options.breaker, error);
    if (!options.retrySafe || !isRetryable(error)) throw error;
    const delayMs = backoffDelay(attempt, error, policy, clock);
    const stop = stopReason(attempt, delayMs, policy, clock.now() - started);
    if (stop) throw gaveUp(error, attempt, stop);
    options.onRetry?.({ attempt, delayMs, error });
    await clock.sleep(delayMs);
  }
}

/** Transient failures: the service could not answer, or asked us to come back later. */
export function isRetryable(error: ProjectsError): boolean {
  const status = httpStatusOf(error);
  if (NEVER_RETRIED.has(error.code) || status === 402 || error.details?.retryable === false) return false;
  if (error.code === 'IDEMPOTENCY_CONFLICT') return error.details?.in_progress === true;
  if (isServiceFailure(error)) return true;
  return status === 408 || status === 429;
}

/** Failures that say the service itself is unwell; they count against its circuit breaker. */
export function isServiceFailure(error: ProjectsError): boolean {
  const status = httpStatusOf(error);
  if (error.code === 'PROVIDER_UNAVAILABLE' || error.code === 'ORCHESTRATOR_UNAVAILABLE') return true;
  if (error.code === 'INVALID_RESPONSE') return status === undefined || status >= 500;
  return status !== undefined && status >= 500;
}

function recordOutcome(breaker: CircuitBreaker | undefined, error: ProjectsError): void {
  if (!breaker) return;
  if (isServiceFailure(error)) breaker.recordFailure();
  else breaker.recordSuccess();
}

/** Full jitter, but never sooner than the server's Retry-After. */
export function backoffDelay(
  attempt: number,
  error: ProjectsError,
  policy: RetryPolicy,
  clock: Clock,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.floor(clock.random() * ceiling);
  const asked = retryAfterOf(error, clock.now());
  return asked === undefined ? jittered : Math.max(asked, jittered);
}

function stopReason(
  attempt: number,
  delayMs: number,
  policy: RetryPolicy,
  elapsedMs: number,
): string | undefined {
  if (attempt >= policy.maxAttempts) return `gave up after ${attempt} attempts`;
  if (delayMs > policy.maxRetryAfterMs) return `the server asked to wait ${Math.ceil(delayMs / 1000)} s`;
  if (elapsedMs + delayMs > policy.maxElapsedMs)
    return `gave up after ${attempt} attempts in ${elapsedMs} ms`;
  return undefined;
}

function gaveUp(error: ProjectsError, attempts: number, why: string): ProjectsError {
  return new ProjectsError(error.code, `${error.message} (${why})`, {
    details: { ...error.details, attempts },
    next: error.next,
    ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
    cause: error,
  });
}

/**
 * `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3), in ms from `now`; undefined
 * when absent or unreadable. Servers here put it in `details.retry_after` (HttpClient copies the
 * header there; the orchestrator's bodies carry seconds).
 */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function retryAfterOf(error: ProjectsError, now: number): number | undefined {
  return parseRetryAfter(error.details?.retry_after, now);
}

function httpStatusOf(error: ProjectsError): number | undefined {
  const fromDetails = error.details?.http_status;
  return error.httpStatus ?? (typeof fromDetails === 'number' ? fromDetails : undefined);
}
