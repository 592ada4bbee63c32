import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Answer } from '../runs/harness.js';
import type { Fault } from './fault-proxy.js';
import { type FaultSandbox, startFaultSandbox, TRANSIENT_CODES } from './harness.js';

/**
 * Issue 8 item 7: the edge provider answers 500, 503, times out, dribbles its body or answers garbage
 * in the middle of a paid, irreversible purchase (a domain) — before it acted, or after it charged.
 * Whatever happens, the purchase ends with exactly one charge and one resource, and every failure an
 * agent sees on the way carries a documented code.
 */
let sandbox: FaultSandbox;

beforeAll(async () => {
  sandbox = await startFaultSandbox('edge', 600);
});
afterAll(() => sandbox?.close());
beforeEach(() => sandbox.proxy.clear());

interface Outcome {
  final: Answer;
  failures: Answer[];
}

/** Buys a domain as an agent would: on a transient failure, rerun the same command (same key). */
async function buyWithReruns(project: string, name: string, reruns = 4): Promise<Outcome> {
  const request = { service: 'edge/registrar:domain', name, idempotency_key: `faults-${randomUUID()}` };
  const failures: Answer[] = [];
  for (let attempt = 0; attempt <= reruns; attempt++) {
    const answer = await sandbox.buy(project, request);
    if (answer.status < 300) return { final: answer, failures };
    failures.push(answer);
    if (!(answer.body.error?.code ?? '' in TRANSIENT_CODES)) break;
  }
  return { final: failures.at(-1)!, failures };
}

function expectDocumentedTransientFailures(failures: Answer[]): void {
  for (const failure of failures) {
    const code = failure.body.error?.code ?? 'none';
    expect(Object.keys(TRANSIENT_CODES), JSON.stringify(failure.body)).toContain(code);
    expect(TRANSIENT_CODES[code]).toContain(failure.status);
    expect(failure.body.error?.message).toBeTruthy();
  }
}

function domain(): string {
  return `faults${randomUUID().slice(0, 8)}.dev`;
}

const FAULTS: [string, Fault][] = [
  ['HTTP 500 before the provider acted', { kind: 'status500', after: false }],
  [
    'HTTP 503 with Retry-After before the provider acted',
    { kind: 'status503', after: false, retryAfter: '1' },
  ],
  ['HTTP 500 after the provider charged', { kind: 'status500', after: true }],
  ['HTTP 503 after the provider charged', { kind: 'status503', after: true }],
  ['garbage after the provider charged', { kind: 'garbage', after: true }],
  ['a timeout after the provider charged', { kind: 'hang', after: true }],
  ['a slow body after the provider charged', { kind: 'slow-body', after: true }],
];

describe('a provider failing in the middle of a purchase', () => {
  it.each(FAULTS)(
    '%s (4 times in a row): one charge, one resource, documented codes',
    async (_what, fault) => {
      const project = await sandbox.createProject();
      // More failures than the orchestrator retries once: the agent sees a failure and reruns.
      sandbox.proxy.inject('provisioning/resources', fault, 4);
      const { final, failures } = await buyWithReruns(project, domain());
      expect(final.status, JSON.stringify(final.body)).toBeLessThan(300);
      expect(failures.length).toBeGreaterThanOrEqual(1);
      expectDocumentedTransientFailures(failures);
      const price = (final.body as unknown as { quote: { price: number } }).quote.price;
      expect(sandbox.captures(project)).toEqual({ n: 1, total: price });
      expect(sandbox.resources(project)).toBe(1);
    },
  );

  it('a failed quote is not retried (it is not keyed) and a rerun completes the purchase', async () => {
    const project = await sandbox.createProject();
    sandbox.proxy.inject('provisioning/quotes', { kind: 'status500', after: false }, 1);
    const name = domain();
    const request = { service: 'edge/registrar:domain', name, idempotency_key: `faults-${randomUUID()}` };
    const before = sandbox.proxy.log.length;
    const failed = await sandbox.buy(project, request);
    expectDocumentedTransientFailures([failed]);
    expect(sandbox.proxy.log.slice(before).map((r) => r.path)).toEqual(['provisioning/quotes']);
    const final = await sandbox.buy(project, request);
    expect(final.status, JSON.stringify(final.body)).toBeLessThan(300);
    expect(sandbox.captures(project).n).toBe(1);
  });

  it('a provider that stays down trips its circuit breaker, which says when it will try again', async () => {
    const project = await sandbox.createProject();
    sandbox.proxy.failAll({ kind: 'status503', after: false }, 1_000);
    const name = domain();
    const request = { service: 'edge/registrar:domain', name, idempotency_key: `faults-${randomUUID()}` };
    let refusal: Answer | undefined;
    for (let attempt = 0; attempt < 10 && !refusal; attempt++) {
      const answer = await sandbox.buy(project, request);
      expect(answer.body.error?.code).toBe('PROVIDER_UNAVAILABLE');
      if (answer.body.error?.message.includes('not calling it again')) refusal = answer;
    }
    expect(refusal, 'the breaker never opened').toBeDefined();
    expect(refusal!.status).toBe(503);
    expect(refusal!.body.error?.details).toMatchObject({
      retry_after: expect.any(Number),
      retry_at: expect.any(String),
    });
    // While open, nothing reaches the provider.
    const seen = sandbox.proxy.log.length;
    expect((await sandbox.buy(project, request)).body.error?.code).toBe('PROVIDER_UNAVAILABLE');
    expect(sandbox.proxy.log.length).toBe(seen);
    expect(sandbox.captures(project).n).toBe(0);
    // The provider recovers; after the cool-down the breaker half-opens and the purchase goes through once.
    sandbox.proxy.clear();
    sandbox.advance(31_000);
    const { final } = await buyWithReruns(project, name);
    expect(final.status, JSON.stringify(final.body)).toBeLessThan(300);
    expect(sandbox.captures(project).n).toBe(1);
  });
});
