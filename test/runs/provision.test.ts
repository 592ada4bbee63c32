import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Approval, ProvisionResponse } from '../../src/protocol/orchestrator.js';
import { ApprovalSchema, ProvisionResponseSchema } from '../../src/protocol/orchestrator.js';
import { identityStore } from '../../src/sandbox/orchestrator/identity/store.js';
import { ORCHESTRATOR_TERMS } from '../../src/sandbox/orchestrator/identity/terms.js';
import { ProjectStore } from '../../src/sandbox/orchestrator/runs/projects.js';
import { acceptOrchestratorTerms } from '../helpers/sandbox.js';
import { type Answer, approvalIdOf, type RunsSandbox, startRunsSandbox } from './harness.js';

type ErrorAnswer = Answer['body'];

function captures(sandbox: RunsSandbox, project: string): number {
  const row = sandbox.db
    .prepare('SELECT COUNT(*) AS n FROM money_captures WHERE project_id = ?')
    .get(project);
  return (row as { n: number }).n;
}

function resources(sandbox: RunsSandbox, project: string): number {
  const row = sandbox.db
    .prepare('SELECT COUNT(*) AS n FROM runs_resources WHERE project_id = ?')
    .get(project);
  return (row as { n: number }).n;
}

describe('provision runs over real HTTP', () => {
  let sandbox: RunsSandbox;
  let project: string;

  // One sandbox for the file (starting one costs seconds); every test works in a project of its own.
  // The tests run in order: the card-less gate comes before the first test that adds a card.
  beforeAll(async () => {
    sandbox = await startRunsSandbox();
  });
  beforeEach(async () => {
    project = await sandbox.createProject();
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  const provision = (body: Record<string, unknown>, token?: string) =>
    sandbox.api<ProvisionResponse>('POST', `/v1/projects/${project}/provision`, body, token);

  it('provisions a free service straight through once its provider terms are accepted', async () => {
    const ask = { service: 'data/kv:starter', name: 'cache', idempotency_key: 'idem-free-0001' };
    const gated = await provision(ask);
    expect(gated.status).toBe(403);
    expect(gated.body.error).toMatchObject({
      code: 'TOS_REQUIRED',
      details: { url: `${sandbox.url}/terms/data` },
    });

    await sandbox.acceptTerms('data');
    const done = await provision(ask);
    expect(done.status).toBe(201);
    const answer = ProvisionResponseSchema.parse(done.body);
    expect(answer.approval_id).toBeNull();
    expect(answer.resource.credential_names).toEqual(['KV_REST_API_TOKEN', 'KV_REST_API_URL']);

    // The credentials are real: the KV store answers with them.
    const { KV_REST_API_URL: url, KV_REST_API_TOKEN: token } = answer.credentials;
    const put = await request(`${url}/greeting`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: 'hello',
    });
    expect(put.statusCode).toBeLessThan(300);
    await put.body.dump();

    // Listings never carry credential values; a rerun replays the first result.
    const listed = await sandbox.api<{ resources: unknown[] }>('GET', `/v1/projects/${project}/resources`);
    expect(JSON.stringify(listed.body)).not.toContain(token);
    const replay = await provision(ask);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ replayed: true, resource: { id: answer.resource.id } });
    expect(resources(sandbox, project)).toBe(1);
  });

  it('rejects a configuration that does not match the service schema before asking the provider', async () => {
    const bad = await provision({
      service: 'data/kv:starter',
      config: { name: 'Not Valid!' },
      idempotency_key: 'idem-bad-001',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { service: 'data/kv:starter' },
    });
  });

  it('gates a paid purchase on a human approval, then a rerun buys exactly once', async () => {
    await sandbox.acceptTerms('data');
    const ask = { service: 'data/kv:pro', idempotency_key: 'idem-paid-0001' };
    const first = await provision(ask);
    expect(first.status).toBe(403);
    expect(first.body.error?.code).toBe('APPROVAL_REQUIRED');
    const approvalId = approvalIdOf(first);
    expect(first.body.error?.details?.url).toBe(`${sandbox.url}/approvals/${approvalId}`);

    // Rerunning before the decision points at the same approval rather than piling up new ones.
    const again = await provision(ask);
    expect(approvalIdOf(again)).toBe(approvalId);
    const pending = await sandbox.api<{ approvals: Approval[] }>('GET', '/v1/approvals?status=pending');
    expect(pending.body.approvals.map((approval) => approval.id)).toEqual([approvalId]);
    const shown = ApprovalSchema.parse(pending.body.approvals[0]);
    expect(shown).toMatchObject({
      price: { amount: 900, currency: 'usd' },
      refundable: false,
      confirmation: 'data/kv:pro',
    });

    // An agent's token can never decide, even one holding every grantable scope.
    const agent = await sandbox.agentToken(['read', 'provision:free', 'provision:paid']);
    const byAgent = await sandbox.api(
      'POST',
      `/v1/approvals/${approvalId}/approve`,
      { confirmation: 'data/kv:pro' },
      agent,
    );
    expect(byAgent.status).toBe(403);
    expect(byAgent.body.error?.code).toBe('SCOPE_DENIED');

    // Non-refundable: the human must type the exact item.
    const sloppy = await sandbox.api('POST', `/v1/approvals/${approvalId}/approve`, {
      confirmation: 'data/kv:PRO',
    });
    expect(sloppy.status).toBe(422);
    const approved = await sandbox.api<Approval>('POST', `/v1/approvals/${approvalId}/approve`, {
      confirmation: 'data/kv:pro',
    });
    expect(approved.body).toMatchObject({
      status: 'approved',
      decided_via: 'cli',
      decided_by: `human:${sandbox.user.email}`,
    });

    // No card yet: the human gate of the billing page; the approval is not used up by the refusal.
    const noCard = await provision(ask);
    expect(noCard.body.error).toMatchObject({
      code: 'PAYMENT_METHOD_REQUIRED',
      details: { url: `${sandbox.url}/billing` },
    });
    await sandbox.addCard();
    const bought = await provision(ask);
    expect(bought.status).toBe(201);
    expect(bought.body).toMatchObject({
      approval_id: approvalId,
      replayed: false,
      resource: { price: { amount: 900 } },
    });
    expect(captures(sandbox, project)).toBe(1);

    const replay = await provision(ask);
    expect(replay.body).toMatchObject({ replayed: true, resource: { id: bought.body.resource.id } });
    // The same plan under a new key is a new purchase: the first approval was spent.
    const second = await provision({ ...ask, idempotency_key: 'idem-paid-0002' });
    expect(second.body.error?.code).toBe('APPROVAL_REQUIRED');
    expect(approvalIdOf(second)).not.toBe(approvalId);
    expect(captures(sandbox, project)).toBe(1);
  });

  it('buys once when approved reruns race with the same idempotency key', async () => {
    await sandbox.acceptTerms('data');
    await sandbox.addCard();
    const ask = { service: 'data/kv:pro', idempotency_key: 'idem-race-0001' };
    const gated = await provision(ask);
    const approvalId = approvalIdOf(gated);
    await sandbox.api('POST', `/v1/approvals/${approvalId}/approve`, { confirmation: 'data/kv:pro' });

    const answers = await Promise.all(Array.from({ length: 6 }, () => provision(ask)));
    const created = answers.filter((answer) => answer.status === 201);
    expect(created).toHaveLength(1);
    for (const answer of answers.filter((a) => a.status !== 201)) {
      // Either the replay of the first result, or "still in progress, retry after".
      if (answer.status === 200) expect(answer.body.resource.id).toBe(created[0]!.body.resource.id);
      else expect((answer.body as ErrorAnswer).error?.code).toBe('IDEMPOTENCY_CONFLICT');
    }
    const settled = await provision(ask);
    expect(settled.body).toMatchObject({ replayed: true, resource: { id: created[0]!.body.resource.id } });
    expect(captures(sandbox, project)).toBe(1);
    expect(resources(sandbox, project)).toBe(1);
  });

  it('answers APPROVAL_DENIED to a rerun of a denied plan', async () => {
    await sandbox.acceptTerms('data');
    const ask = { service: 'data/kv:pro', idempotency_key: 'idem-deny-0001' };
    const gated = await provision(ask);
    const approvalId = approvalIdOf(gated);
    const denied = await sandbox.api<Approval>('POST', `/v1/approvals/${approvalId}/deny`, {
      reason: 'too pricey',
    });
    expect(denied.body).toMatchObject({ status: 'denied', reason: 'too pricey' });
    const rerun = await provision(ask);
    expect(rerun.status).toBe(403);
    expect(rerun.body.error).toMatchObject({ code: 'APPROVAL_DENIED', details: { approval_id: approvalId } });
  });

  it('refuses a paid service to a token without the paid scope, and a quote above max_price', async () => {
    await sandbox.acceptTerms('data');
    const freeOnly = await sandbox.agentToken(['read', 'provision:free']);
    const refused = await provision({ service: 'data/kv:pro', idempotency_key: 'idem-scope-01' }, freeOnly);
    expect(refused.body.error).toMatchObject({
      code: 'SCOPE_DENIED',
      details: { required: 'provision:paid' },
    });
    const tooDear = await provision({
      service: 'data/kv:pro',
      max_price: 500,
      idempotency_key: 'idem-max-0001',
    });
    expect(tooDear.status).toBe(402);
    expect(tooDear.body.error).toMatchObject({
      code: 'BUDGET_EXCEEDED',
      details: { price: 900, max_price: 500 },
    });
  });
});

describe('the orchestrator terms at purchase', () => {
  it('buys nothing more after a new version of the terms until the human accepted it', async () => {
    const sandbox = await startRunsSandbox({ orchestratorTermsAccepted: false });
    try {
      // The user accepted an earlier version and made the project then; the terms changed since.
      await identityStore(sandbox.storage).acceptTerms(
        sandbox.user.id,
        ORCHESTRATOR_TERMS.party,
        '2020-01-01',
        Date.now(),
      );
      const project = (await new ProjectStore(sandbox.storage).create(sandbox.user.id, 'older', new Date()))
        .id;
      await sandbox.acceptTerms('data');
      const ask = { service: 'data/kv:starter', idempotency_key: 'idem-terms-0001' };
      const provision = () => sandbox.api('POST', `/v1/projects/${project}/provision`, ask);

      const gated = await provision();
      expect(gated.status).toBe(403);
      expect(gated.body.error).toMatchObject({
        code: 'TOS_REQUIRED',
        details: { url: `${sandbox.url}/terms`, party: 'orchestrator', version: ORCHESTRATOR_TERMS.version },
      });
      expect(resources(sandbox, project)).toBe(0);

      await acceptOrchestratorTerms(sandbox.storage, sandbox.user.id);
      expect((await provision()).status).toBe(201);
      expect(resources(sandbox, project)).toBe(1);
    } finally {
      await sandbox.close();
    }
  });
});
