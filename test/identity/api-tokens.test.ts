import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditListSchema } from '../../src/protocol/money.js';
import type { ApiTokenList, CreateApiTokenRequest, CreatedApiToken } from '../../src/protocol/oauth.js';
import type { Approval } from '../../src/protocol/orchestrator.js';
import { createApprovedToken } from '../helpers/api-token.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sandbox: TestSandbox;
let clockOffset = 0;

beforeAll(async () => {
  sandbox = await startTestSandbox({ now: () => Date.now() + clockOffset });
});

afterAll(() => sandbox?.close());

function call(method: string, path: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${sandbox.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

const DAY = 24 * 3600;

interface Refusal {
  code: string;
  message: string;
  details: { approval_id: string } & Record<string, unknown>;
}

async function refusal(response: Response | Promise<Response>): Promise<Refusal> {
  return ((await (await response).json()) as { error: Refusal }).error;
}

function createToken(human: string, body: CreateApiTokenRequest): Promise<CreatedApiToken> {
  return createApprovedToken(sandbox.url, human, body);
}

describe('scoped API tokens', () => {
  it('creates a token shown once, which acts with exactly its scopes', async () => {
    const human = await sandbox.accessToken();
    const token = await createToken(human, { name: 'ci', scopes: ['deploy:preview'], expires_in: 30 * DAY });
    expect(token).toMatchObject({
      id: expect.stringMatching(/^tok_/),
      name: 'ci',
      scopes: ['deploy:preview'],
    });
    expect(token.token).toMatch(/^ptok_/);

    const me = await (await call('GET', '/v1/me', token.token)).json();
    expect(me).toMatchObject({
      kind: 'token',
      scopes: ['deploy:preview'],
      credential: { type: 'api_token', id: token.id },
    });

    const listing = await (await call('GET', '/v1/tokens', human)).text();
    expect(listing).toContain(token.id);
    expect(listing).not.toContain(token.token);
    expect(JSON.parse(listing).tokens[0].last_used_at).not.toBeNull();
  });

  it('never grants approve, and never lets a token mint or revoke tokens', async () => {
    const human = await sandbox.accessToken();
    const approve = await call('POST', '/v1/tokens', human, {
      name: 'x',
      scopes: ['approve'],
      expires_in: DAY,
    });
    expect(approve.status).toBe(400);
    expect(await approve.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });

    const agent = await createToken(human, { name: 'agent', scopes: ['read'], expires_in: DAY });
    const minted = await call('POST', '/v1/tokens', agent.token, {
      name: 'y',
      scopes: ['read'],
      expires_in: DAY,
    });
    expect(minted.status).toBe(403);
    expect(await minted.json()).toMatchObject({ error: { code: 'SCOPE_DENIED' } });
    const error = await refusal(
      call('POST', '/v1/tokens', human, { name: 'y', scopes: ['read'], expires_in: DAY }),
    );
    const approved = await call('POST', `/v1/approvals/${error.details.approval_id}/approve`, agent.token, {
      confirmation: 'y',
    });
    expect(await approved.json()).toMatchObject({ error: { code: 'SCOPE_DENIED' } });
    const revoked = await call('DELETE', `/v1/tokens/${agent.id}`, agent.token);
    expect(await revoked.json()).toMatchObject({ error: { code: 'HUMAN_REQUIRED' } });
  });

  it('creates nothing until a human approved exactly this token; one approval mints one token', async () => {
    const human = await sandbox.accessToken();
    const body = {
      name: 'gated',
      scopes: ['read', 'provision:paid', 'deploy:production'],
      expires_in: 30 * DAY,
    };
    const asked = await call('POST', '/v1/tokens', human, body);
    expect(asked.status).toBe(403);
    const error = await refusal(asked);
    expect(error).toMatchObject({
      code: 'APPROVAL_REQUIRED',
      details: { url: expect.stringContaining('/approvals/apr_') },
    });
    const approval = (await (
      await call('GET', `/v1/approvals/${error.details.approval_id}`, human)
    ).json()) as Approval;
    expect(approval).toMatchObject({
      kind: 'token_create',
      status: 'pending',
      title: "Create API token 'gated' (read, provision:paid, deploy:production), valid 30 days",
      confirmation: 'gated',
    });
    expect(approval.warnings.join('\n')).toMatch(/provision:paid — it can buy paid services/);
    expect(approval.warnings.join('\n')).toMatch(/deploy:production — it can publish to production/);
    // Asking again shares the pending approval; other scopes are another approval.
    const again = await refusal(call('POST', '/v1/tokens', human, body));
    expect(again.details.approval_id).toBe(approval.id);
    const other = await refusal(call('POST', '/v1/tokens', human, { ...body, scopes: ['read'] }));
    expect(other.details.approval_id).not.toBe(approval.id);

    const wrong = await call('POST', `/v1/approvals/${approval.id}/approve`, human, { confirmation: 'gate' });
    expect(wrong.status).toBe(422);
    await call('POST', `/v1/approvals/${approval.id}/approve`, human, { confirmation: 'gated' });
    // Concurrent reruns after the approval: exactly one gets the token.
    const reruns = await Promise.all([1, 2, 3, 4].map(() => call('POST', '/v1/tokens', human, body)));
    expect(reruns.map((rerun) => rerun.status).sort()).toEqual([201, 403, 403, 403]);
    const losers = await Promise.all(reruns.filter((rerun) => rerun.status === 403).map(refusal));
    for (const loser of losers) {
      expect(loser).toMatchObject({ code: 'APPROVAL_REQUIRED', details: { used_approval_id: approval.id } });
      expect(loser.message).toContain(`${approval.id} was already used`);
    }
    const { tokens } = (await (await call('GET', '/v1/tokens', human)).json()) as ApiTokenList;
    expect(tokens.filter((token) => token.name === 'gated')).toHaveLength(1);
  });

  it('answers APPROVAL_DENIED once a human denied the request', async () => {
    const human = await sandbox.accessToken();
    const body = { name: 'denied', scopes: ['read'], expires_in: DAY };
    const error = await refusal(call('POST', '/v1/tokens', human, body));
    await call('POST', `/v1/approvals/${error.details.approval_id}/deny`, human, { reason: 'no' });
    const denied = await call('POST', '/v1/tokens', human, body);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({
      error: { code: 'APPROVAL_DENIED', details: { approval_id: error.details.approval_id } },
    });
  });

  it('revokes a token at once', async () => {
    const human = await sandbox.accessToken();
    const token = await createToken(human, { name: 'gone', scopes: ['read'], expires_in: DAY });
    expect(await (await call('DELETE', `/v1/tokens/${token.id}`, human)).json()).toEqual({
      id: token.id,
      revoked: true,
    });
    expect((await call('GET', '/v1/me', token.token)).status).toBe(401);
    expect((await call('DELETE', `/v1/tokens/${token.id}`, human)).status).toBe(404);
  });

  it('stops accepting a token once it expires', async () => {
    const human = await sandbox.accessToken();
    const token = await createToken(human, { name: 'short', scopes: ['read'], expires_in: 60 });
    expect((await call('GET', '/v1/me', token.token)).status).toBe(200);
    clockOffset += 61_000;
    expect((await call('GET', '/v1/me', token.token)).status).toBe(401);
  });

  it('writes every creation and revocation to the audit log', async () => {
    const human = await sandbox.accessToken();
    const token = await createToken(human, { name: 'audited', scopes: ['read'], expires_in: DAY });
    await call('DELETE', `/v1/tokens/${token.id}`, human);
    const { events } = AuditListSchema.parse(await (await call('GET', '/v1/audit', human)).json());
    const about = events.filter((event) => event.subject === token.id);
    expect(about.map((event) => [event.action, event.actor])).toEqual([
      ['api_token.create', `human:${sandbox.user.email}`],
      ['api_token.revoke', `human:${sandbox.user.email}`],
    ]);
    expect(JSON.stringify(events)).not.toContain(token.token);
    expect(await (await call('GET', '/v1/audit/verify', human)).json()).toMatchObject({ ok: true });
  });

  it('requires a credential', async () => {
    const response = await fetch(`${sandbox.url}/v1/tokens`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'AUTH_REQUIRED' } });
  });
});
