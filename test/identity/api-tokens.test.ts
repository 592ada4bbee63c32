import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditListSchema } from '../../src/protocol/money.js';
import { CreatedApiToken } from '../../src/protocol/oauth.js';
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

async function createToken(human: string, body: unknown): Promise<CreatedApiToken> {
  const response = await call('POST', '/v1/tokens', human, body);
  expect(response.status).toBe(201);
  return CreatedApiToken.parse(await response.json());
}

describe('scoped API tokens', () => {
  it('creates a token shown once, which acts with exactly its scopes', async () => {
    const human = sandbox.accessToken();
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
    const human = sandbox.accessToken();
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
    const revoked = await call('DELETE', `/v1/tokens/${agent.id}`, agent.token);
    expect(await revoked.json()).toMatchObject({ error: { code: 'HUMAN_REQUIRED' } });
  });

  it('revokes a token at once', async () => {
    const human = sandbox.accessToken();
    const token = await createToken(human, { name: 'gone', scopes: ['read'], expires_in: DAY });
    expect(await (await call('DELETE', `/v1/tokens/${token.id}`, human)).json()).toEqual({
      id: token.id,
      revoked: true,
    });
    expect((await call('GET', '/v1/me', token.token)).status).toBe(401);
    expect((await call('DELETE', `/v1/tokens/${token.id}`, human)).status).toBe(404);
  });

  it('stops accepting a token once it expires', async () => {
    const human = sandbox.accessToken();
    const token = await createToken(human, { name: 'short', scopes: ['read'], expires_in: 60 });
    expect((await call('GET', '/v1/me', token.token)).status).toBe(200);
    clockOffset += 61_000;
    expect((await call('GET', '/v1/me', token.token)).status).toBe(401);
  });

  it('writes every creation and revocation to the audit log', async () => {
    const human = sandbox.accessToken();
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
