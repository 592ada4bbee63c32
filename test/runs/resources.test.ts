import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Approval,
  ProjectStatus,
  ProvisionResponse,
  Resource,
} from '../../src/protocol/orchestrator.js';
import { ProjectStatusSchema, RotateResponseSchema } from '../../src/protocol/orchestrator.js';
import { approvalIdOf, type RunsSandbox, startRunsSandbox } from './harness.js';

/** What the KV store answers to a read with this resource credential. */
async function kvStatus(credentials: Record<string, string>): Promise<number> {
  const response = await request(`${credentials.KV_REST_API_URL}/probe`, {
    headers: { authorization: `Bearer ${credentials.KV_REST_API_TOKEN}` },
  });
  await response.body.dump();
  return response.statusCode;
}

describe('resources: status, rotation, removal, and the freeze', () => {
  let sandbox: RunsSandbox;
  let project: string;

  beforeAll(async () => {
    sandbox = await startRunsSandbox();
    await sandbox.acceptTerms('data');
    await sandbox.addCard();
    project = await sandbox.createProject('status');
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  const provision = (service: string, key: string) =>
    sandbox.api<ProvisionResponse>('POST', `/v1/projects/${project}/provision`, {
      service,
      idempotency_key: key,
    });

  async function buyPro(key: string): Promise<ProvisionResponse> {
    const id = approvalIdOf(await provision('data/kv:pro', key));
    await sandbox.api('POST', `/v1/approvals/${id}/approve`, { confirmation: 'data/kv:pro' });
    return (await provision('data/kv:pro', key)).body;
  }

  it('shows the project with its resources, pending approvals and this month’s spend', async () => {
    const free = (await provision('data/kv:starter', 'idem-status-01')).body;
    await buyPro('idem-status-02');
    const pending = approvalIdOf(await provision('data/kv:pro', 'idem-status-03'));
    const answer = await sandbox.api<ProjectStatus>('GET', `/v1/projects/${project}`);
    const status = ProjectStatusSchema.parse(answer.body);
    expect(status.resources.map((resource) => resource.id)).toContain(free.resource.id);
    expect(status.pending_approvals.map((approval) => approval.id)).toEqual([pending]);
    expect(status.spend.this_month).toEqual({ amount: 900, currency: 'usd' });
    const other = await sandbox.api('GET', '/v1/projects/prj_0000000000000000');
    expect(other.body.error?.code).toBe('NOT_FOUND');
  });

  it('rotates credentials: the old ones stop working, the new ones work', async () => {
    const { resource, credentials } = (await provision('data/kv:starter', 'idem-rotate-1')).body;
    expect(await kvStatus(credentials)).toBe(404);
    const rotated = await sandbox.api('POST', `/v1/resources/${resource.id}/rotate`);
    const fresh = RotateResponseSchema.parse(rotated.body).credentials;
    expect(fresh.KV_REST_API_TOKEN).not.toBe(credentials.KV_REST_API_TOKEN);
    expect(await kvStatus(credentials)).toBe(401);
    expect(await kvStatus(fresh)).toBe(404);
  });

  it('removes a free resource at once, and a paid one only after a human approves', async () => {
    const free = (await provision('data/kv:starter', 'idem-remove-1')).body;
    const removed = await sandbox.api<{ resource: Resource }>(
      'POST',
      `/v1/resources/${free.resource.id}/remove`,
    );
    expect(removed.body.resource.status).toBe('removed');
    expect(await kvStatus(free.credentials)).toBe(401);

    const paid = await buyPro('idem-remove-2');
    const gated = await sandbox.api('POST', `/v1/resources/${paid.resource.id}/remove`);
    expect(gated.body.error?.code).toBe('APPROVAL_REQUIRED');
    const approval = await sandbox.api<Approval>('GET', `/v1/approvals/${approvalIdOf(gated)}`);
    expect(approval.body).toMatchObject({ kind: 'remove', price: { amount: 900 } });
    await sandbox.api('POST', `/v1/approvals/${approval.body.id}/approve`, {});
    const done = await sandbox.api<{ resource: Resource }>(
      'POST',
      `/v1/resources/${paid.resource.id}/remove`,
    );
    expect(done.body.resource.status).toBe('removed');
  });

  it('refuses to approve a purchase while spending is frozen, but still lets a human deny it', async () => {
    const id = approvalIdOf(await provision('data/kv:pro', 'idem-frozen-01'));
    expect((await sandbox.api('POST', '/v1/freeze', { reason: 'runaway agent' })).status).toBe(200);
    const refused = await sandbox.api('POST', `/v1/approvals/${id}/approve`, { confirmation: 'data/kv:pro' });
    expect(refused.status).toBe(423);
    expect(refused.body.error?.code).toBe('FROZEN');
    const denied = await sandbox.api<Approval>('POST', `/v1/approvals/${id}/deny`, {});
    expect(denied.body.status).toBe('denied');
  });
});
