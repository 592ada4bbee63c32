import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerTotal, type MoneySandbox, purchase, startMoneySandbox } from './harness.js';

let sandbox: MoneySandbox;
beforeAll(async () => {
  sandbox = await startMoneySandbox();
});
afterAll(() => sandbox.close());

const NO_VELOCITY_LIMIT = { velocity: { max_operations: 100_000, window_seconds: 60 } };

describe('spend limits', () => {
  it('lets exactly 10 of 40 concurrent $10.00 purchases through a $100.00 provider cap', async () => {
    await sandbox.limits('usr_cap', {
      ...NO_VELOCITY_LIMIT,
      provider_monthly_cap: 10_000,
      global_monthly_cap: 1_000_000,
    });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        purchase(sandbox, { userId: 'usr_cap', providerId: 'edge', amount: 1000, key: `cap-${i}` }),
      ),
    );
    const captured = results.filter((result) => result.captured?.status === 200);
    expect(captured).toHaveLength(10);
    const refused = results.filter((result) => result.issued.status !== 200);
    expect(refused).toHaveLength(30);
    for (const { issued } of refused) {
      expect([issued.status, issued.body.error?.code]).toEqual([402, 'CAP_EXCEEDED']);
      expect(issued.body.error?.message).toMatch(/Do not retry/);
    }
    expect(ledgerTotal(sandbox, 'usr_cap')).toBe(10_000);
  });

  it('counts every provider against the global cap', async () => {
    await sandbox.limits('usr_global', { ...NO_VELOCITY_LIMIT, global_monthly_cap: 1500 });
    const edge = await purchase(sandbox, {
      userId: 'usr_global',
      providerId: 'edge',
      amount: 1000,
      key: 'g-1',
    });
    expect(edge.captured?.status).toBe(200);
    const data = await purchase(sandbox, {
      userId: 'usr_global',
      providerId: 'data',
      amount: 1000,
      key: 'g-2',
    });
    expect([data.issued.status, data.issued.body.error?.details?.limit]).toEqual([402, 'global_monthly_cap']);
    expect(ledgerTotal(sandbox, 'usr_global')).toBe(1000);
  });

  it('holds one purchase outside a run to the per-invocation ceiling', async () => {
    await sandbox.limits('usr_ceiling', { ...NO_VELOCITY_LIMIT, per_invocation_ceiling: 2000 });
    const over = await purchase(sandbox, {
      userId: 'usr_ceiling',
      providerId: 'edge',
      amount: 2001,
      key: 'c-1',
    });
    expect([over.issued.status, over.issued.body.error?.code]).toEqual([402, 'BUDGET_EXCEEDED']);
    const within = await purchase(sandbox, {
      userId: 'usr_ceiling',
      providerId: 'edge',
      amount: 2000,
      key: 'c-2',
    });
    expect(within.captured?.status).toBe(200);
  });

  it('stops a loop of cheap purchases with the velocity limit', async () => {
    await sandbox.limits('usr_loop', { velocity: { max_operations: 5, window_seconds: 600 } });
    const statuses: (string | undefined)[] = [];
    for (let i = 0; i < 7; i += 1) {
      const result = await purchase(sandbox, {
        userId: 'usr_loop',
        providerId: 'edge',
        amount: 50,
        key: `loop-${i}`,
      });
      statuses.push(result.issued.status === 200 ? 'ok' : result.issued.body.error?.code);
    }
    expect(statuses).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'VELOCITY_LIMITED', 'VELOCITY_LIMITED']);
    const other = await purchase(sandbox, {
      userId: 'usr_loop',
      providerId: 'edge',
      amount: 50,
      key: 'loop-other',
      projectId: 'prj_other',
    });
    expect(other.captured?.status).toBe(200);
    sandbox.clock.offsetMs = 601_000;
    try {
      const later = await purchase(sandbox, {
        userId: 'usr_loop',
        providerId: 'edge',
        amount: 50,
        key: 'loop-later',
      });
      expect(later.captured?.status).toBe(200);
    } finally {
      sandbox.clock.offsetMs = 0;
    }
  });

  it('applies a lowered cap at once, even to a token issued before', async () => {
    await sandbox.limits('usr_lower', NO_VELOCITY_LIMIT);
    const issued = await sandbox.issue({
      userId: 'usr_lower',
      providerId: 'edge',
      maxAmount: 3000,
      idempotencyKey: 'lower-1',
    });
    expect(issued.status).toBe(200);
    const lowered = await sandbox.call('POST', '/v1/budget', {
      user: 'usr_lower',
      body: { provider_caps: { edge: 2000 } },
    });
    expect(lowered.status).toBe(200);
    expect(lowered.body.applied).toEqual(['provider_caps']);
    const capture = await sandbox.capture('edge', {
      token: issued.body.token as string,
      amount: 2500,
      currency: 'usd',
      idempotency_key: 'capture-lower-1',
    });
    expect([capture.status, capture.body.error?.code]).toEqual([402, 'CAP_EXCEEDED']);
    const budget = await sandbox.call('GET', '/v1/budget', { user: 'usr_lower' });
    expect(budget.body.spend).toMatchObject({
      by_provider: [{ provider: 'edge', cap: 2000, spent: 0, reserved: 3000 }],
    });
  });
});
