import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MoneySandbox, purchase, type Reply, startMoneySandbox } from './harness.js';

let sandbox: MoneySandbox;
beforeAll(async () => {
  sandbox = await startMoneySandbox();
});
afterAll(() => sandbox.close());

const AGENTS = 50;
const GENEROUS = {
  velocity: { max_operations: 1_000_000, window_seconds: 60 },
  provider_monthly_cap: 100_000_000,
  global_monthly_cap: 100_000_000,
};

interface Attempt {
  step: 'issue' | 'capture';
  reply: Reply;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    // A short timer rather than setImmediate: a busy poll would starve the in-process server.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * 50 agents buy in a loop until they are refused; once purchases are flowing, the user freezes.
 * Returns every attempt and the freeze answer with when it was sent and acknowledged.
 */
async function freezeUnderLoad(userId: string): Promise<{ attempts: Attempt[]; freeze: Reply }> {
  await sandbox.limits(userId, GENEROUS);
  const attempts: Attempt[] = [];
  let counter = 0;
  const agent = async (agentId: number) => {
    for (;;) {
      counter += 1;
      const key = `${userId}-${agentId}-${counter}`;
      const { issued, captured } = await purchase(sandbox, { userId, providerId: 'edge', amount: 100, key });
      attempts.push({ step: 'issue', reply: issued });
      if (captured) attempts.push({ step: 'capture', reply: captured });
      if ((captured ?? issued).status !== 200) return;
    }
  };
  const agents = Array.from({ length: AGENTS }, (_, i) => agent(i));
  // Purchases are flowing once every agent could have bought once; then all 50 have one in flight.
  await until(() => attempts.filter((a) => a.step === 'capture').length >= AGENTS, 40_000);
  const freeze = await sandbox.call('POST', '/v1/freeze', {
    user: userId,
    body: { reason: 'runaway agent' },
  });
  await Promise.all(agents);
  return { attempts, freeze };
}

describe('freeze (kill switch)', () => {
  it('under 50 concurrent purchases, no capture succeeds after the freeze acknowledgement', async () => {
    const { attempts, freeze } = await freezeUnderLoad('usr_freeze');
    expect(freeze.status).toBe(200);
    expect(freeze.body).toMatchObject({ frozen: true, reason: 'runaway agent' });

    const succeededAfterAck = attempts.filter(
      (a) => a.step === 'capture' && a.reply.status === 200 && a.reply.sentAt >= freeze.receivedAt,
    );
    expect(succeededAfterAck).toEqual([]);
    // The server's own order: no successful capture is recorded after the freeze event in the audit chain.
    const events = sandbox.db
      .prepare('SELECT seq, action, result, created_at FROM audit_events WHERE user_id = ? ORDER BY seq')
      .all('usr_freeze') as { seq: number; action: string; result: string; created_at: string }[];
    const freezeIndex = events.findIndex((event) => event.action === 'freeze');
    const afterFreeze = events.slice(freezeIndex + 1);
    expect(afterFreeze.filter((event) => event.result === 'ok')).toEqual([]);

    const refusals = attempts.filter((a) => a.reply.status !== 200);
    expect(refusals).toHaveLength(AGENTS);
    for (const { reply } of refusals) expect(reply.body.error?.code).toBe('FROZEN');
    const ackMs = freeze.receivedAt - freeze.sentAt;
    const firstRefusalMs = Math.min(...refusals.map((a) => a.reply.receivedAt)) - freeze.receivedAt;
    const serverMs =
      Date.parse(afterFreeze[0]?.created_at ?? '') - Date.parse(events[freezeIndex]?.created_at ?? '');
    const captured = attempts.filter((a) => a.step === 'capture' && a.reply.status === 200).length;
    console.log(
      [
        `freeze under ${AGENTS} concurrent purchases (${captured} captured before it):`,
        `acknowledged ${ackMs.toFixed(1)} ms after the request (queued behind the agents' requests),`,
        `first refusal ${firstRefusalMs.toFixed(1)} ms after the acknowledgement (negative: before it),`,
        `server side ${serverMs} ms from the freeze commit to the first refusal`,
      ].join(' '),
    );
    expect(firstRefusalMs).toBeLessThan(5000);
  }, 60_000);

  it('refuses new tokens, captures of tokens issued before, runs and raises while frozen', async () => {
    await sandbox.limits('usr_frozen', GENEROUS);
    const issued = await sandbox.issue({
      userId: 'usr_frozen',
      providerId: 'edge',
      maxAmount: 500,
      idempotencyKey: 'frozen-1',
    });
    const run = await sandbox.call('POST', '/v1/runs', { user: 'usr_frozen', body: { budget: 1000 } });
    const frozen = await sandbox.call('POST', '/v1/freeze', { user: 'usr_frozen:token', body: {} });
    expect(frozen.body).toMatchObject({ frozen: true, revoked_tokens: 1, ended_runs: 1 });

    const capture = await sandbox.capture('edge', {
      token: issued.body.token as string,
      amount: 500,
      currency: 'usd',
      idempotency_key: 'capture-frozen-1',
    });
    expect([capture.status, capture.body.error?.code]).toEqual([423, 'FROZEN']);
    const again = await sandbox.issue({
      userId: 'usr_frozen',
      providerId: 'edge',
      maxAmount: 100,
      idempotencyKey: 'frozen-2',
    });
    expect([again.status, again.body.error?.code]).toEqual([423, 'FROZEN']);
    const newRun = await sandbox.call('POST', '/v1/runs', { user: 'usr_frozen', body: { budget: 1000 } });
    expect(newRun.body.error?.code).toBe('FROZEN');
    const ended = await sandbox.call('GET', `/v1/runs/${run.body.id}`, { user: 'usr_frozen' });
    expect(ended.body).toMatchObject({ status: 'ended', end_reason: 'frozen' });
    const state = await sandbox.call('GET', '/v1/freeze', { user: 'usr_frozen' });
    expect(state.body).toMatchObject({ frozen: true, frozen_by: 'token:tok_usr_frozen' });
    const budget = await sandbox.call('GET', '/v1/budget', { user: 'usr_frozen' });
    expect(budget.body).toMatchObject({ frozen: true, spend: { spent: 0, reserved: 0 } });
  });
});
