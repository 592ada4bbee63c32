import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerTotal, type MoneySandbox, purchase, startMoneySandbox } from './harness.js';

let sandbox: MoneySandbox;
beforeAll(async () => {
  sandbox = await startMoneySandbox();
});
afterAll(() => sandbox.close());

const GENEROUS = {
  velocity: { max_operations: 100_000, window_seconds: 60 },
  provider_monthly_cap: 1_000_000,
  global_monthly_cap: 1_000_000,
};

async function startRun(userId: string, budget: number, ttl?: string): Promise<string> {
  const reply = await sandbox.call('POST', '/v1/runs', {
    user: `${userId}:token`,
    body: { budget, ...(ttl ? { ttl } : {}) },
  });
  expect(reply.status).toBe(201);
  return reply.body.id as string;
}

describe('runs with budgets', () => {
  it('never lets 100 concurrent agents spend more than the run budget', async () => {
    await sandbox.limits('usr_race', GENEROUS);
    const runId = await startRun('usr_race', 5000);
    const amounts = Array.from({ length: 100 }, (_, i) => 100 + (i % 7) * 50);
    const results = await Promise.all(
      amounts.map((amount, i) =>
        purchase(sandbox, {
          userId: 'usr_race',
          providerId: i % 2 ? 'edge' : 'data',
          amount,
          key: `race-${i}`,
          runId,
        }),
      ),
    );
    const captured = results.filter((result) => result.captured?.status === 200);
    const refusals = results.filter((result) => result.issued.status !== 200);
    expect(captured.length).toBeGreaterThan(0);
    expect(refusals.length).toBeGreaterThan(0);
    for (const { issued } of refusals) expect(issued.body.error?.code).toBe('BUDGET_EXCEEDED');
    const total = ledgerTotal(sandbox, 'usr_race');
    expect(total).toBeLessThanOrEqual(5000);
    expect(total).toBe(captured.reduce((sum, result) => sum + (result.captured?.body.amount as number), 0));
    const run = await sandbox.call('GET', `/v1/runs/${runId}`, { user: 'usr_race' });
    expect(run.body).toMatchObject({ status: 'active', budget: 5000, spent: total, reserved: 0 });
    // The run was filled as far as the smallest purchase allows: refusals only once the room ran out.
    expect(5000 - total).toBeLessThan(100 + 6 * 50);
  });

  it('ends a run: its outstanding tokens are revoked and nothing more is charged to it', async () => {
    await sandbox.limits('usr_end', GENEROUS);
    const runId = await startRun('usr_end', 5000);
    const issued = await sandbox.issue({
      userId: 'usr_end',
      providerId: 'edge',
      maxAmount: 1000,
      idempotencyKey: 'end-1',
      runId,
    });
    expect(issued.status).toBe(200);
    const ended = await sandbox.call('POST', `/v1/runs/${runId}/end`, { user: 'usr_end' });
    expect(ended.body).toMatchObject({ status: 'ended', reserved: 0 });
    const capture = await sandbox.capture('edge', {
      token: issued.body.token as string,
      amount: 1000,
      currency: 'usd',
      idempotency_key: 'capture-end-1',
    });
    expect([capture.status, capture.body.error?.code]).toEqual([402, 'PAYMENT_DECLINED']);
    const after = await purchase(sandbox, {
      userId: 'usr_end',
      providerId: 'edge',
      amount: 100,
      key: 'end-2',
      runId,
    });
    expect([after.issued.status, after.issued.body.error?.code]).toEqual([402, 'BUDGET_EXCEEDED']);
    expect(ledgerTotal(sandbox, 'usr_end')).toBe(0);
  });

  it('expires a run after its ttl', async () => {
    await sandbox.limits('usr_ttl', GENEROUS);
    const runId = await startRun('usr_ttl', 5000, '30m');
    sandbox.clock.offsetMs = 31 * 60_000;
    try {
      const run = await sandbox.call('GET', `/v1/runs/${runId}`, { user: 'usr_ttl' });
      expect(run.body.status).toBe('expired');
      const late = await purchase(sandbox, {
        userId: 'usr_ttl',
        providerId: 'edge',
        amount: 100,
        key: 'ttl-1',
        runId,
      });
      expect(late.issued.body.error?.code).toBe('BUDGET_EXCEEDED');
    } finally {
      sandbox.clock.offsetMs = 0;
    }
  });

  it('keeps runs private to their user and validates the request', async () => {
    const runId = await startRun('usr_owner', 1000);
    const other = await sandbox.call('GET', `/v1/runs/${runId}`, { user: 'usr_stranger' });
    expect([other.status, other.body.error?.code]).toEqual([404, 'NOT_FOUND']);
    const bad = await sandbox.call('POST', '/v1/runs', { user: 'usr_owner', body: { budget: -1 } });
    expect([bad.status, bad.body.error?.code]).toEqual([400, 'INVALID_ARGUMENT']);
    const anonymous = await sandbox.call('POST', '/v1/runs', { body: { budget: 100 } });
    expect([anonymous.status, anonymous.body.error?.code]).toEqual([401, 'AUTH_REQUIRED']);
  });
});
