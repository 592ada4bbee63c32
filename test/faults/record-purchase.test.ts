import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvisionResponse } from '../../src/protocol/orchestrator.js';
import { ResourceStore } from '../../src/sandbox/orchestrator/runs/resources.js';
import { type FaultSandbox, startFaultSandbox } from './harness.js';

/**
 * The end of a purchase is one unit of work: the resource and its credentials, the approval settled, the
 * in-flight entry cleared, the audit event and the idempotency result commit together. A process that
 * dies inside it — here: the very last statement, the idempotency result, fails — leaves nothing of it,
 * and the rerun finishes the purchase exactly once.
 */
let sandbox: FaultSandbox;

beforeAll(async () => {
  sandbox = await startFaultSandbox('edge', 600);
});
afterAll(() => sandbox?.close());

/** Makes storing a provision's idempotency result fail, as a process dying at that statement would. */
function crashAtClaimCompletion(): () => void {
  sandbox.db.exec(`CREATE TRIGGER crash_at_claim_completion BEFORE UPDATE OF state ON money_idempotency
    WHEN NEW.state = 'done' AND NEW.scope LIKE 'provision:%'
    BEGIN SELECT RAISE(ABORT, 'injected: the process died here'); END`);
  return () => sandbox.db.exec('DROP TRIGGER crash_at_claim_completion');
}

function count(sql: string, ...params: unknown[]): number {
  return (sandbox.db.prepare(sql).get(...params) as { n: number }).n;
}

function stateOf(project: string, key: string) {
  return {
    resources: sandbox.resources(project),
    captures: sandbox.captures(project).n,
    inflight: count(
      'SELECT COUNT(*) AS n FROM runs_inflight WHERE user_id = ? AND idempotency_key = ?',
      sandbox.user.id,
      key,
    ),
    okEvents: count(
      `SELECT COUNT(*) AS n FROM audit_events
       WHERE project_id = ? AND action = 'resource.provision' AND result = 'ok'`,
      project,
    ),
    approvals: sandbox.db
      .prepare('SELECT consumed_by, claim_settled FROM runs_approvals WHERE project_id = ?')
      .all(project),
  };
}

describe('the end of a purchase is atomic', { timeout: 60_000 }, () => {
  it('a crash while recording leaves the purchase in flight; the rerun records it once', async () => {
    const project = await sandbox.createProject();
    const key = `record-${randomUUID()}`;
    const request = {
      service: 'edge/registrar:domain',
      name: `atomic${randomUUID().slice(0, 8)}.dev`,
      idempotency_key: key,
    };

    const providerCalls = () =>
      sandbox.proxy.log.filter((entry) => entry.path === 'provisioning/resources').length;
    const callsBefore = providerCalls();
    const restore = crashAtClaimCompletion();
    const crashed = await sandbox.buy(project, request).finally(restore);
    expect(crashed.status, JSON.stringify(crashed.body)).toBe(500);
    // The provider created and charged; of the recording unit nothing is left: no resource, no 'ok'
    // event, the purchase still journaled in flight, the approval given back (not consumed).
    expect(stateOf(project, key)).toEqual({
      resources: 0,
      captures: 1,
      inflight: 1,
      okEvents: 0,
      approvals: [{ consumed_by: null, claim_settled: 1 }],
    });

    const rerun = await sandbox.api<ProvisionResponse>('POST', `/v1/projects/${project}/provision`, request);
    expect(rerun.status, JSON.stringify(rerun.body)).toBe(201);
    expect(rerun.body.replayed).toBe(false);
    expect(stateOf(project, key)).toEqual({
      resources: 1,
      captures: 1,
      inflight: 0,
      okEvents: 1,
      approvals: [{ consumed_by: key, claim_settled: 1 }],
    });
    // Both attempts reached the provider with the same key; it answered the one resource it created.
    expect(providerCalls() - callsBefore).toBe(2);

    const replay = await sandbox.api<ProvisionResponse>('POST', `/v1/projects/${project}/provision`, request);
    expect(replay.body).toEqual({ ...rerun.body, replayed: true });
    expect(stateOf(project, key).okEvents).toBe(1);
    const verified = await sandbox.api<{ ok: boolean }>('GET', '/v1/audit/verify');
    expect(verified.body.ok).toBe(true);
  });

  it('recording the same provider resource twice answers the first record', async () => {
    const project = await sandbox.createProject();
    const resources = new ResourceStore(sandbox.storage, sandbox.context.secrets);
    const input = {
      userId: sandbox.user.id,
      projectId: project,
      provider: 'edge',
      service: 'hosting:site',
      name: 'twice',
      providerResourceId: `site_${randomUUID()}`,
      price: null,
      quoteId: null,
      approvalId: null,
      access: { credentials: { DEPLOY_TOKEN: 'first-secret' }, publicKeys: [] },
    };
    const first = await resources.record(sandbox.storage, input, new Date());
    const again = await resources.record(
      sandbox.storage,
      { ...input, access: { credentials: { DEPLOY_TOKEN: 'second-secret' }, publicKeys: [] } },
      new Date(),
    );
    expect(first.created).toBe(true);
    expect(again).toEqual({ resource: first.resource, created: false });
    expect(sandbox.resources(project)).toBe(1);
    expect(await resources.credentials(first.resource.id)).toEqual({ DEPLOY_TOKEN: 'first-secret' });
  });
});
