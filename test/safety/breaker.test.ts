import { describe, expect, it } from 'vitest';
import { BreakerRegistry, CircuitBreaker } from '../../src/client/breaker.js';
import { withRetries } from '../../src/client/retry.js';
import { ProjectsError } from '../../src/protocol/errors.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { rejection } from '../helpers/rejection.js';

const failing = () => Promise.reject(new ProjectsError('PROVIDER_UNAVAILABLE', 'down', { httpStatus: 503 }));
const refused = () =>
  Promise.reject(new ProjectsError('BUDGET_EXCEEDED', 'over budget', { httpStatus: 402 }));

function setup(threshold = 3, coolDownMs = 30_000) {
  const clock = new FakeClock();
  const breaker = new CircuitBreaker('edge', { failureThreshold: threshold, coolDownMs, clock });
  let calls = 0;
  const call = (fn: () => Promise<string>) =>
    withRetries(
      () => {
        calls++;
        return fn();
      },
      { retrySafe: false, clock, breaker },
    );
  return { clock, breaker, call, calls: () => calls };
}

describe('circuit breaker', () => {
  it('opens after N consecutive failures and then refuses without calling, saying when it will retry', async () => {
    const { clock, breaker, call, calls } = setup(3, 30_000);
    for (let i = 0; i < 3; i++) await expect(call(failing)).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    const refusal = await rejection(call(() => Promise.resolve('ok')));
    expect(calls()).toBe(3);
    expect(refusal).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', exitCode: 8 });
    const retryAt = new Date(clock.now() + 30_000).toISOString();
    expect(refusal.message).toContain(retryAt);
    expect(refusal.message).toContain('in 30 s');
    expect(refusal.details).toMatchObject({ target: 'edge', retry_at: retryAt, retry_after: 30 });
  });

  it('counts only consecutive service failures: an answered refusal or a success resets the count', async () => {
    const { breaker, call } = setup(3);
    await expect(call(failing)).rejects.toThrow();
    await expect(call(failing)).rejects.toThrow();
    await expect(call(refused)).rejects.toThrow('over budget');
    await expect(call(failing)).rejects.toThrow();
    await expect(call(failing)).rejects.toThrow();
    expect(breaker.state).toBe('closed');
    await expect(call(() => Promise.resolve('ok'))).resolves.toBe('ok');
    await expect(call(failing)).rejects.toThrow();
    await expect(call(failing)).rejects.toThrow();
    expect(breaker.state).toBe('closed');
  });

  it('half-opens after the cool-down: one probe at a time; success closes it', async () => {
    const { clock, breaker, call, calls } = setup(2, 10_000);
    await expect(call(failing)).rejects.toThrow();
    await expect(call(failing)).rejects.toThrow();
    clock.advance(9_999);
    await expect(call(() => Promise.resolve('early'))).rejects.toThrow(/not calling it again/);
    clock.advance(1);
    expect(breaker.state).toBe('half-open');
    let release!: (value: string) => void;
    const probe = call(() => new Promise<string>((resolve) => (release = resolve)));
    await expect(call(() => Promise.resolve('second'))).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
    });
    release('probe');
    await expect(probe).resolves.toBe('probe');
    expect(breaker.state).toBe('closed');
    await expect(call(() => Promise.resolve('after'))).resolves.toBe('after');
    expect(calls()).toBe(4);
  });

  it('re-opens for a full cool-down when the half-open probe fails', async () => {
    const { clock, breaker, call } = setup(2, 10_000);
    await expect(call(failing)).rejects.toThrow();
    await expect(call(failing)).rejects.toThrow();
    clock.advance(10_000);
    await expect(call(failing)).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    const refusal = await rejection(call(() => Promise.resolve('x')));
    expect(refusal.details).toMatchObject({ retry_after: 10 });
  });

  it('a probe that throws something unexpected still settles the half-open state', async () => {
    const { clock, breaker, call } = setup(1, 1_000);
    await expect(call(failing)).rejects.toThrow();
    clock.advance(1_000);
    await expect(call(() => Promise.reject(new TypeError('fetch failed')))).rejects.toThrow(TypeError);
    clock.advance(1_000);
    await expect(call(() => Promise.resolve('ok'))).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('stops a retry loop as soon as it opens', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker('edge', { failureThreshold: 2, clock });
    let calls = 0;
    const error = await rejection(
      withRetries(
        () => {
          calls++;
          return failing();
        },
        { retrySafe: true, clock, breaker, policy: { maxAttempts: 10 } },
      ),
    );
    expect(calls).toBe(2);
    expect(error.message).toContain('not calling it again');
  });

  it('keeps one breaker per provider or host', async () => {
    const clock = new FakeClock();
    const registry = new BreakerRegistry({ failureThreshold: 1, clock });
    await expect(
      withRetries(failing, { retrySafe: false, clock, breaker: registry.for('edge') }),
    ).rejects.toThrow();
    expect(registry.for('edge').state).toBe('open');
    expect(registry.for('data').state).toBe('closed');
    await expect(
      withRetries(() => Promise.resolve('ok'), { retrySafe: false, clock, breaker: registry.for('data') }),
    ).resolves.toBe('ok');
  });

  it('can speak for the orchestrator with ORCHESTRATOR_UNAVAILABLE (also exit 8)', () => {
    const breaker = new CircuitBreaker('orchestrator', {
      failureThreshold: 1,
      clock: new FakeClock(),
      unavailableCode: 'ORCHESTRATOR_UNAVAILABLE',
    });
    breaker.recordFailure();
    expect(() => breaker.admit()).toThrow(
      expect.objectContaining({ code: 'ORCHESTRATOR_UNAVAILABLE', exitCode: 8 }),
    );
  });
});
