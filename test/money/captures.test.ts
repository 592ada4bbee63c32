import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureHeader } from '../../src/protocol/signing.js';
import { revokePaymentToken } from '../../src/sandbox/orchestrator/money/tokens.js';
import { ledgerTotal, type MoneySandbox, PROVIDER_SECRETS, purchase, startMoneySandbox } from './harness.js';

let sandbox: MoneySandbox;
beforeAll(async () => {
  sandbox = await startMoneySandbox();
});
afterAll(() => sandbox.close());

async function issueToken(
  userId: string,
  maxAmount: number,
  key: string,
  providerId = 'edge',
): Promise<string> {
  const issued = await sandbox.issue({ userId, providerId, maxAmount, idempotencyKey: `issue-${key}` });
  expect(issued.status).toBe(200);
  expect(issued.body.token).toMatch(/^spt_/);
  return issued.body.token as string;
}

describe('capture of payment tokens', () => {
  it('charges once for 5 identical captures sent at once with the same idempotency key', async () => {
    const token = await issueToken('usr_idem', 1500, 'idem-1');
    const body = { token, amount: 1200, currency: 'usd', idempotency_key: 'capture-idem-1' };
    const replies = await Promise.all(Array.from({ length: 5 }, () => sandbox.capture('edge', body)));
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 200, 200]);
    const ids = new Set(replies.map((reply) => reply.body.capture_id));
    expect(ids.size).toBe(1);
    expect(replies.filter((reply) => reply.body.replayed === false)).toHaveLength(1);
    expect(replies.filter((reply) => reply.body.replayed === true)).toHaveLength(4);
    expect(ledgerTotal(sandbox, 'usr_idem')).toBe(1200);
  });

  it('refuses the same idempotency key with a different body', async () => {
    const token = await issueToken('usr_conflict', 1000, 'conflict-1');
    const first = await sandbox.capture('edge', {
      token,
      amount: 500,
      currency: 'usd',
      idempotency_key: 'capture-c-1',
    });
    expect(first.status).toBe(200);
    const second = await sandbox.capture('edge', {
      token,
      amount: 900,
      currency: 'usd',
      idempotency_key: 'capture-c-1',
    });
    expect(second.status).toBe(409);
    expect(second.body.error?.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(ledgerTotal(sandbox, 'usr_conflict')).toBe(500);
  });

  it('uses a token once: a second capture under another key is declined', async () => {
    const token = await issueToken('usr_once', 1000, 'once-1');
    const first = await sandbox.capture('edge', {
      token,
      amount: 1000,
      currency: 'usd',
      idempotency_key: 'capture-o-1',
    });
    expect(first.status).toBe(200);
    const again = await sandbox.capture('edge', {
      token,
      amount: 1000,
      currency: 'usd',
      idempotency_key: 'capture-o-2',
    });
    expect(again.status).toBe(402);
    expect(again.body.error?.code).toBe('PAYMENT_DECLINED');
    expect(again.body.error?.message).toMatch(/already used/);
    expect(ledgerTotal(sandbox, 'usr_once')).toBe(1000);
  });

  it('declines an amount over max_amount, another currency, another provider and an expired token', async () => {
    const token = await issueToken('usr_declines', 1000, 'declines-1');
    const over = await sandbox.capture('edge', {
      token,
      amount: 1001,
      currency: 'usd',
      idempotency_key: 'capture-d-1',
    });
    expect([over.status, over.body.error?.code]).toEqual([402, 'PAYMENT_DECLINED']);
    const currency = await sandbox.capture('edge', {
      token,
      amount: 10,
      currency: 'eur',
      idempotency_key: 'capture-d-2',
    });
    expect([currency.status, currency.body.error?.code]).toEqual([402, 'PAYMENT_DECLINED']);
    const provider = await sandbox.capture('data', {
      token,
      amount: 10,
      currency: 'usd',
      idempotency_key: 'capture-d-3',
    });
    expect([provider.status, provider.body.error?.code]).toEqual([402, 'PAYMENT_DECLINED']);
    sandbox.clock.offsetMs = 16 * 60_000;
    try {
      const expired = await sandbox.capture('edge', {
        token,
        amount: 10,
        currency: 'usd',
        idempotency_key: 'capture-d-4',
      });
      expect([expired.status, expired.body.error?.message]).toEqual([402, expect.stringMatching(/expired/)]);
    } finally {
      sandbox.clock.offsetMs = 0;
    }
    expect(ledgerTotal(sandbox, 'usr_declines')).toBe(0);
  });

  it('refuses captures that are not signed by the provider named in the header', async () => {
    const token = await issueToken('usr_sig', 1000, 'sig-1');
    const body = { token, amount: 100, currency: 'usd', idempotency_key: 'capture-s-1' };
    const forged = await sandbox.capture('edge', body, 'not-the-secret');
    expect([forged.status, forged.body.error?.code]).toEqual([401, 'INVALID_SIGNATURE']);
    const unknown = await sandbox.capture('nobody', body, 'whatever');
    expect([unknown.status, unknown.body.error?.code]).toEqual([401, 'INVALID_SIGNATURE']);
    expect(ledgerTotal(sandbox, 'usr_sig')).toBe(0);
  });

  it('refuses a replayed signed request (same bytes, same signature)', async () => {
    const token = await issueToken('usr_replay', 1000, 'replay-1');
    const raw = JSON.stringify({
      request_id: 'req_replay_1',
      token,
      amount: 100,
      currency: 'usd',
      idempotency_key: 'capture-r-1',
    });
    const headers = {
      'content-type': 'application/json',
      'projects-provider': 'edge',
      'projects-signature': signatureHeader(PROVIDER_SECRETS.edge ?? '', raw),
    };
    const send = () => fetch(`${sandbox.url}/v1/provider/captures`, { method: 'POST', headers, body: raw });
    expect((await send()).status).toBe(200);
    const replayed = await send();
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as { error: { message: string } }).error.message).toMatch(/replay/);
  });

  it('revokes an unused token: its reservation is released and it can no longer be captured', async () => {
    const issued = await sandbox.issue({
      userId: 'usr_revoke',
      providerId: 'edge',
      maxAmount: 900,
      idempotencyKey: 'rv-1',
    });
    const revoke = {
      userId: 'usr_revoke',
      actor: 'system',
      tokenId: issued.body.id as string,
      reason: 'provider_failed',
    };
    expect(await revokePaymentToken(sandbox.storage, { ...revoke, now: Date.now() })).toBe(true);
    expect(await revokePaymentToken(sandbox.storage, { ...revoke, now: Date.now() })).toBe(false);
    const budget = await sandbox.call('GET', '/v1/budget', { user: 'usr_revoke' });
    expect(budget.body.spend).toMatchObject({ reserved: 0 });
    const token = issued.body.token as string;
    const capture = await sandbox.capture('edge', {
      token,
      amount: 900,
      currency: 'usd',
      idempotency_key: 'capture-rv-1',
    });
    expect([capture.status, capture.body.error?.message]).toEqual([402, expect.stringMatching(/revoked/)]);
  });

  it('releases the unused part of a reservation at capture', async () => {
    await sandbox.limits('usr_release', { provider_monthly_cap: 1000 });
    const first = await purchase(sandbox, {
      userId: 'usr_release',
      providerId: 'edge',
      amount: 600,
      key: 'rel-1',
    });
    expect(first.captured?.status).toBe(200);
    const token = await issueToken('usr_release', 400, 'rel-2');
    const partial = await sandbox.capture('edge', {
      token,
      amount: 100,
      currency: 'usd',
      idempotency_key: 'capture-rel-2',
    });
    expect(partial.status).toBe(200);
    const budget = await sandbox.call('GET', '/v1/budget', { user: 'usr_release' });
    expect(budget.body.spend).toMatchObject({ spent: 700, reserved: 0 });
    const third = await purchase(sandbox, {
      userId: 'usr_release',
      providerId: 'edge',
      amount: 300,
      key: 'rel-3',
    });
    expect(third.captured?.status).toBe(200);
  });

  it('replays a token issue with the same key and refuses a different body under it', async () => {
    const body = {
      userId: 'usr_issue',
      providerId: 'edge',
      maxAmount: 700,
      idempotencyKey: 'issue-replay-1',
    };
    const first = await sandbox.issue(body);
    const again = await sandbox.issue(body);
    expect(again.body).toMatchObject({ id: first.body.id, token: first.body.token, replayed: true });
    const other = await sandbox.issue({ ...body, maxAmount: 800 });
    expect([other.status, other.body.error?.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
    const budget = await sandbox.call('GET', '/v1/budget', { user: 'usr_issue' });
    expect(budget.body.spend).toMatchObject({ reserved: 700 });
  });
});
