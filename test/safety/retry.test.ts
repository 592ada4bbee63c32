import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/client/http.js';
import {
  DEFAULT_RETRY_POLICY,
  isRetrySafe,
  NEVER_RETRIED,
  parseRetryAfter,
  withRetries,
} from '../../src/client/retry.js';
import { Redactor } from '../../src/core/redact.js';
import { type ErrorCode, ProjectsError } from '../../src/protocol/errors.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { rejection } from '../helpers/rejection.js';

const unavailable = (details: Record<string, unknown> = {}) =>
  new ProjectsError('PROVIDER_UNAVAILABLE', 'provider failed (HTTP 503)', { httpStatus: 503, details });

/** A request that fails with the given errors in turn, then answers 'ok'. */
function scripted(...failures: ProjectsError[]) {
  const calls: number[] = [];
  const request = async (attempt: number) => {
    calls.push(attempt);
    const failure = failures[calls.length - 1];
    if (failure) throw failure;
    return 'ok';
  };
  return { request, calls };
}

describe('withRetries', () => {
  it('retries transient failures with exponential backoff and full jitter', async () => {
    const clock = new FakeClock(undefined, 0.5);
    const { request, calls } = scripted(unavailable(), unavailable(), unavailable());
    await expect(withRetries(request, { retrySafe: true, clock })).resolves.toBe('ok');
    expect(calls).toEqual([1, 2, 3, 4]);
    // random 0.5 × min(5000, 200 × 2^(n-1))
    expect(clock.sleeps).toEqual([100, 200, 400]);
  });

  it('keeps every sleep within [0, cap) whatever the jitter draws', async () => {
    const clock = new FakeClock(undefined, 0.999);
    const policy = { maxAttempts: 8, maxElapsedMs: 1_000_000 };
    const { request } = scripted(...Array.from({ length: 7 }, () => unavailable()));
    await withRetries(request, { retrySafe: true, clock, policy });
    expect(clock.sleeps).toHaveLength(7);
    expect(Math.max(...clock.sleeps)).toBeLessThan(DEFAULT_RETRY_POLICY.maxDelayMs);
    expect(clock.sleeps.at(-1)).toBe(Math.floor(0.999 * DEFAULT_RETRY_POLICY.maxDelayMs));
  });

  it('waits at least Retry-After given in seconds', async () => {
    const clock = new FakeClock(undefined, 0);
    const { request } = scripted(unavailable({ retry_after: '7' }));
    await withRetries(request, { retrySafe: true, clock });
    expect(clock.sleeps).toEqual([7000]);
  });

  it('waits until a Retry-After HTTP date', async () => {
    const clock = new FakeClock(undefined, 0);
    const at = new Date(clock.now() + 12_000).toUTCString();
    const { request } = scripted(unavailable({ retry_after: at }));
    await withRetries(request, { retrySafe: true, clock });
    expect(clock.sleeps).toEqual([12_000]);
  });

  it('fails at once, without sleeping, when Retry-After is longer than it will wait', async () => {
    const clock = new FakeClock();
    const { request, calls } = scripted(unavailable({ retry_after: '120' }));
    const error = await rejection(withRetries(request, { retrySafe: true, clock }));
    expect(error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', exitCode: 8 });
    expect(error.message).toContain('asked to wait 120 s');
    expect(calls).toEqual([1]);
    expect(clock.sleeps).toEqual([]);
  });

  it('gives up after maxAttempts with the same code (exit 8) and says how often it tried', async () => {
    const clock = new FakeClock();
    const { request, calls } = scripted(...Array.from({ length: 10 }, () => unavailable()));
    const error = await rejection(withRetries(request, { retrySafe: true, clock }));
    expect(calls).toHaveLength(DEFAULT_RETRY_POLICY.maxAttempts);
    expect(error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', exitCode: 8, details: { attempts: 4 } });
    expect(error.message).toContain('gave up after 4 attempts');
  });

  it('stops when the next sleep would overrun the total time budget', async () => {
    const clock = new FakeClock();
    const { request, calls } = scripted(
      ...Array.from({ length: 10 }, () => unavailable({ retry_after: '20' })),
    );
    const policy = { maxAttempts: 10, maxElapsedMs: 45_000 };
    await expect(withRetries(request, { retrySafe: true, clock, policy })).rejects.toThrow(/in 40000 ms/);
    expect(calls).toEqual([1, 2, 3]);
    expect(clock.sleeps).toEqual([20_000, 20_000]);
  });

  it.each([...NEVER_RETRIED])('never retries the spend refusal %s', async (code) => {
    const clock = new FakeClock();
    const refusal = new ProjectsError(code as ErrorCode, 'Spend refused. Do not retry.', {
      httpStatus: code === 'FROZEN' ? 423 : 402,
      details: { retry_after: '1' },
    });
    const { request, calls } = scripted(refusal);
    await expect(withRetries(request, { retrySafe: true, clock })).rejects.toBe(refusal);
    expect(calls).toEqual([1]);
    expect(clock.sleeps).toEqual([]);
  });

  it('never retries HTTP 402 or a refusal marked retryable: false, whatever its code', async () => {
    for (const refusal of [
      new ProjectsError('PROVIDER_UNAVAILABLE', 'payment required', { httpStatus: 402 }),
      new ProjectsError('INVALID_RESPONSE', 'weird', { details: { http_status: 402 } }),
      new ProjectsError('PROVIDER_UNAVAILABLE', 'refused', {
        httpStatus: 503,
        details: { retryable: false },
      }),
    ]) {
      const { request, calls } = scripted(refusal);
      await expect(withRetries(request, { retrySafe: true, clock: new FakeClock() })).rejects.toBe(refusal);
      expect(calls).toEqual([1]);
    }
  });

  it('runs a call that is not safe to repeat exactly once', async () => {
    const { request, calls } = scripted(unavailable());
    await expect(withRetries(request, { retrySafe: false, clock: new FakeClock() })).rejects.toThrow();
    expect(calls).toEqual([1]);
  });

  it('retries an in-progress duplicate (409 + retry_after) but not a real idempotency conflict', async () => {
    const inProgress = new ProjectsError('IDEMPOTENCY_CONFLICT', 'still in progress', {
      httpStatus: 409,
      details: { in_progress: true, retry_after: 1 },
    });
    const waiting = scripted(inProgress);
    const clock = new FakeClock();
    await expect(withRetries(waiting.request, { retrySafe: true, clock })).resolves.toBe('ok');
    expect(clock.sleeps).toEqual([1000]);
    const conflict = new ProjectsError('IDEMPOTENCY_CONFLICT', 'different body', { httpStatus: 409 });
    const refused = scripted(conflict);
    await expect(withRetries(refused.request, { retrySafe: true, clock })).rejects.toBe(conflict);
    expect(refused.calls).toEqual([1]);
  });

  it('does not retry answered client errors', async () => {
    for (const code of ['AUTH_REQUIRED', 'NOT_FOUND', 'INVALID_ARGUMENT', 'QUOTE_EXPIRED'] as const) {
      const { request, calls } = scripted(new ProjectsError(code, 'no', { httpStatus: 400 }));
      await expect(withRetries(request, { retrySafe: true, clock: new FakeClock() })).rejects.toThrow();
      expect(calls).toEqual([1]);
    }
  });
});

describe('isRetrySafe and parseRetryAfter', () => {
  it('treats idempotent methods and keyed calls as safe to repeat', () => {
    expect(isRetrySafe('GET')).toBe(true);
    expect(isRetrySafe('delete')).toBe(true);
    expect(isRetrySafe('POST')).toBe(false);
    expect(isRetrySafe('POST', 'idk_abc')).toBe(true);
    expect(isRetrySafe('PATCH', '')).toBe(false);
  });

  it('reads delta-seconds and HTTP dates, and ignores junk', () => {
    const now = Date.parse('2026-12-04T12:00:00Z');
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 30 ', now)).toBe(30_000);
    expect(parseRetryAfter(2, now)).toBe(2000);
    expect(parseRetryAfter('Fri, 04 Dec 2026 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Fri, 04 Dec 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(-5, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('the CLI HTTP client retries over real HTTP', () => {
  let server: Server | undefined;
  let answers: { status: number; body: string; headers?: Record<string, string> }[] = [];
  let hits: { method: string; key: string | undefined }[] = [];
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  async function client(clock: FakeClock): Promise<HttpClient> {
    hits = [];
    server = createServer((req, res) => {
      hits.push({ method: req.method!, key: req.headers['idempotency-key'] as string | undefined });
      const next = answers.shift() ?? { status: 200, body: '{"ok":true}' };
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(next.body);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new HttpClient({ baseUrl: `http://127.0.0.1:${port}/`, redactor: new Redactor(), clock });
  }

  const busy = { status: 503, body: '{"error":{"code":"ORCHESTRATOR_UNAVAILABLE","message":"busy"}}' };

  it('honours a real Retry-After header on a keyed POST and returns the eventual answer', async () => {
    const clock = new FakeClock(undefined, 0);
    const http = await client(clock);
    answers = [
      { ...busy, headers: { 'retry-after': '3' } },
      { ...busy, headers: { 'retry-after': '2' } },
    ];
    await expect(http.post('v1/things', { a: 1 }, { idempotencyKey: 'idk_1' })).resolves.toEqual({
      ok: true,
    });
    expect(hits).toEqual(Array(3).fill({ method: 'POST', key: 'idk_1' }));
    expect(clock.sleeps).toEqual([3000, 2000]);
  });

  it('waits out a duplicate still in progress (409 + retry_after) on a keyed call', async () => {
    const clock = new FakeClock(undefined, 0);
    const http = await client(clock);
    answers = [
      {
        status: 409,
        body: '{"error":{"code":"IDEMPOTENCY_CONFLICT","message":"in progress","details":{"in_progress":true,"retry_after":1}}}',
        headers: { 'retry-after': '1' },
      },
    ];
    await expect(http.post('v1/things', {}, { idempotencyKey: 'idk_2' })).resolves.toEqual({ ok: true });
    expect(clock.sleeps).toEqual([1000]);
  });

  it('retries GETs, but sends a POST without an idempotency key exactly once', async () => {
    const clock = new FakeClock();
    const http = await client(clock);
    answers = [busy];
    await expect(http.get('v1/things')).resolves.toEqual({ ok: true });
    expect(hits).toHaveLength(2);
    answers = [busy];
    hits = [];
    await expect(http.post('v1/things', {})).rejects.toMatchObject({
      code: 'ORCHESTRATOR_UNAVAILABLE',
      exitCode: 8,
    });
    expect(hits).toHaveLength(1);
  });

  it('never retries a spend refusal, even on a keyed call', async () => {
    const clock = new FakeClock();
    const http = await client(clock);
    answers = [
      {
        status: 402,
        body: '{"error":{"code":"BUDGET_EXCEEDED","message":"Spend refused. Do not retry.","details":{"retryable":false}}}',
      },
    ];
    await expect(http.post('v1/things', {}, { idempotencyKey: 'idk_3' })).rejects.toMatchObject({
      code: 'BUDGET_EXCEEDED',
      exitCode: 5,
    });
    expect(hits).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });
});
