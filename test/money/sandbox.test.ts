import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureHeader } from '../../src/protocol/signing.js';
import { issuePaymentToken } from '../../src/sandbox/orchestrator/money/tokens.js';
import { readProviderSecrets } from '../../src/sandbox/provider-secrets.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

/** The money and audit routes as composed in the real sandbox, behind identity's auth hook. */
let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox.close());

type Body = Record<string, unknown> & { error?: { code: string } };

async function api(method: string, path: string, token?: string, body?: unknown) {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

describe('money in the composed sandbox', () => {
  it('needs a signed-in principal and the right scope', async () => {
    expect((await api('GET', '/v1/budget')).body.error?.code).toBe('AUTH_REQUIRED');
    const readOnly = await sandbox.accessToken(['read']);
    const run = await api('POST', '/v1/runs', readOnly, { budget: 1000 });
    expect([run.status, run.body.error?.code]).toEqual([403, 'SCOPE_DENIED']);
    const budget = await api('GET', '/v1/budget', readOnly);
    expect(budget.body.limits).toMatchObject({ provider_monthly_cap: 10_000, currency: 'usd' });
  });

  it('takes a capture signed with the registered provider secret, and audits it under the user', async () => {
    const token = await sandbox.accessToken();
    const run = await api('POST', '/v1/runs', token, { budget: 2000, ttl: '1h' });
    expect(run.status).toBe(201);
    const provider = readProviderSecrets(sandbox.db, sandbox.context.secrets).find(
      (entry) => entry.id === 'data',
    );
    expect(provider).toBeDefined();
    const issued = await issuePaymentToken(sandbox.context, {
      userId: sandbox.user.id,
      actor: `human:${sandbox.user.email}`,
      projectId: 'prj_composed',
      runId: run.body.id as string,
      providerId: 'data',
      maxAmount: 1500,
      currency: 'usd',
      idempotencyKey: 'composed-issue-1',
    });
    const raw = JSON.stringify({
      request_id: 'req_composed_1',
      token: issued.token,
      amount: 1200,
      currency: 'usd',
      idempotency_key: 'composed-capture-1',
    });
    const capture = await fetch(`${sandbox.url}/v1/provider/captures`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'projects-provider': 'data',
        'projects-signature': signatureHeader(provider?.signingSecret ?? '', raw),
      },
      body: raw,
    });
    expect(capture.status).toBe(200);
    const after = await api('GET', `/v1/runs/${run.body.id}`, token);
    expect(after.body).toMatchObject({ spent: 1200, reserved: 0, remaining: 800 });
    const audit = await api('GET', `/v1/audit?run=${run.body.id}`, token);
    const events = audit.body.events as { action: string; actor: string }[];
    expect(events.map((event) => event.action)).toEqual(['run.start', 'payment_token.issue', 'capture']);
    expect(events[0]?.actor).toBe(`human:${sandbox.user.email}`);
    expect((await api('GET', '/v1/audit/verify', token)).body).toMatchObject({ ok: true, first_bad: null });
  });

  it('lets any credential of the user freeze, and reports it', async () => {
    const token = await sandbox.accessToken(['read']);
    const freeze = await api('POST', '/v1/freeze', token, { reason: 'test' });
    expect(freeze.body).toMatchObject({ frozen: true, reason: 'test' });
    expect((await api('GET', '/v1/freeze', token)).body.frozen).toBe(true);
  });
});
