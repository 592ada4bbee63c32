import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

/** Raising a limit and lifting a freeze are human gates, decided through the approvals API. */
let sandbox: TestSandbox;
let human: string;
let agent: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  human = await sandbox.accessToken();
  agent = await sandbox.accessToken(['read', 'provision:free', 'provision:paid']);
});
afterAll(() => sandbox.close());

type Body = Record<string, unknown> & { error?: { code: string; details?: Record<string, unknown> } };

async function api(
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: Body }> {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

async function limits(): Promise<Record<string, unknown>> {
  return (await api('GET', '/v1/budget', agent)).body.limits as Record<string, unknown>;
}

describe('human gates of the money module', () => {
  it('lowers at once, and raises only once a human approved exactly that raise', async () => {
    const asked = await api('POST', '/v1/budget', agent, {
      global_monthly_cap: 90_000,
      per_invocation_ceiling: 1000,
    });
    expect([asked.status, asked.body.error?.code]).toEqual([403, 'APPROVAL_REQUIRED']);
    expect(asked.body.error?.details).toMatchObject({
      applied: ['per_invocation_ceiling'],
      pending: { global_monthly_cap: 90_000 },
    });
    expect(await limits()).toMatchObject({ global_monthly_cap: 50_000, per_invocation_ceiling: 1000 });

    const approvalId = asked.body.error?.details?.approval_id as string;
    const again = await api('POST', '/v1/budget', agent, { global_monthly_cap: 90_000 });
    expect(again.body.error?.details?.approval_id).toBe(approvalId);
    const byAgent = await api('POST', `/v1/approvals/${approvalId}/approve`, agent, {});
    expect(byAgent.status).toBe(403);
    expect((await limits()).global_monthly_cap).toBe(50_000);

    const approved = await api('POST', `/v1/approvals/${approvalId}/approve`, human, {});
    expect(approved.body).toMatchObject({ status: 'approved', kind: 'budget_raise' });
    expect((await limits()).global_monthly_cap).toBe(90_000);

    // The decision was used up: lowering and asking for the same raise again needs a new approval.
    await api('POST', '/v1/budget', agent, { global_monthly_cap: 50_000 });
    const reraise = await api('POST', '/v1/budget', agent, { global_monthly_cap: 90_000 });
    expect(reraise.body.error?.code).toBe('APPROVAL_REQUIRED');
    expect(reraise.body.error?.details?.approval_id).not.toBe(approvalId);
    expect((await limits()).global_monthly_cap).toBe(50_000);
  });

  it('does not apply a denied raise', async () => {
    const asked = await api('POST', '/v1/budget', agent, { provider_caps: { data: 20_000 } });
    const approvalId = asked.body.error?.details?.approval_id as string;
    await api('POST', `/v1/approvals/${approvalId}/deny`, human, { reason: 'no' });
    expect((await limits()).provider_caps).toEqual({});
    const again = await api('POST', '/v1/budget', agent, { provider_caps: { data: 20_000 } });
    expect(again.body.error?.code).toBe('APPROVAL_DENIED');
  });

  it('lifts a freeze only when a human approves the unfreeze approval', async () => {
    await api('POST', '/v1/freeze', agent, { reason: 'agent loop' });
    const asked = await api('POST', '/v1/unfreeze', human);
    expect([asked.status, asked.body.error?.code]).toEqual([403, 'APPROVAL_REQUIRED']);
    expect((await api('GET', '/v1/freeze', agent)).body.frozen).toBe(true);
    const approvalId = asked.body.error?.details?.approval_id as string;
    const approval = await api('GET', `/v1/approvals/${approvalId}`, agent);
    expect(approval.body).toMatchObject({ kind: 'unfreeze', status: 'pending' });
    expect(approval.body.title).toMatch(/agent loop/);

    const approved = await api('POST', `/v1/approvals/${approvalId}/approve`, human, {});
    expect(approved.body.status).toBe('approved');
    expect((await api('GET', '/v1/freeze', agent)).body.frozen).toBe(false);
    const audit = await api('GET', '/v1/audit', agent);
    const actions = (audit.body.events as { action: string }[]).map((event) => event.action);
    expect(actions.slice(-3)).toEqual(['freeze', 'approval.approve', 'unfreeze']);

    // An approval lifts the freeze it was asked for, never a later one.
    await api('POST', '/v1/freeze', agent, { reason: 'again' });
    const next = await api('POST', '/v1/unfreeze', agent);
    expect(next.body.error?.code).toBe('APPROVAL_REQUIRED');
    expect(next.body.error?.details?.approval_id).not.toBe(approvalId);
    expect((await api('GET', '/v1/freeze', agent)).body.frozen).toBe(true);
  });
});
