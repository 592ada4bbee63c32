import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxContext } from '../../src/sandbox/context.js';
import { type Db, migrate, openDatabase } from '../../src/sandbox/db.js';
import {
  APPROVAL_TTL_MS,
  createApproval,
  decideApproval,
  gateOnApproval,
  getApproval,
  onApprovalDecided,
  settleApproval,
} from '../../src/sandbox/orchestrator/runs/approvals.js';
import { sqliteStorage } from '../../src/sandbox/orchestrator/storage/sqlite/index.js';
import {
  AUDIT_MIGRATIONS,
  MONEY_MIGRATIONS,
  RUNS_MIGRATIONS,
} from '../../src/sandbox/orchestrator/storage/sqlite/migrations.js';
import { openSecretBox } from '../../src/sandbox/secret-box.js';

/** The approval store over a real SQLite file, with a clock the test moves. */
describe('approvals: expiry, single use and decision listeners', () => {
  let dir: string;
  let db: Db;
  let clock = Date.parse('2026-12-04T12:00:00Z');
  let ctx: SandboxContext;
  const input = { userId: 'usr_a', kind: 'purchase', title: 'Buy a thing', planHash: 'plan-1' };
  const human = { actor: 'human:a@example.test', via: 'cli' as const };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'projects-approvals-'));
    db = openDatabase(join(dir, 'sandbox.db'));
    migrate(db, 'audit', AUDIT_MIGRATIONS);
    migrate(db, 'money', MONEY_MIGRATIONS);
    migrate(db, 'runs', RUNS_MIGRATIONS);
    ctx = {
      db,
      storage: sqliteStorage(db),
      secrets: openSecretBox(dir),
      dataDir: dir,
      baseUrl: () => 'http://127.0.0.1:1',
      endpoints: new Map(),
      now: () => clock,
      log: () => {},
    };
  });
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('expires a pending approval after its TTL; the next gate creates a fresh one', async () => {
    const first = await createApproval(ctx, input);
    clock += APPROVAL_TTL_MS + 1;
    expect((await getApproval(ctx, 'usr_a', first.id)).status).toBe('expired');
    await expect(decideApproval(ctx, 'usr_a', first.id, { ...human, decision: 'approved' })).rejects.toThrow(
      /expired/,
    );
    let second: string | undefined;
    try {
      await gateOnApproval(ctx, input, ['why']);
    } catch (error) {
      second = (error as { details?: { approval_id?: string } }).details?.approval_id;
    }
    expect(second).toBeDefined();
    expect(second).not.toBe(first.id);
  });

  it('hands an approved decision to one claimant only', async () => {
    const plan = { ...input, planHash: 'plan-2' };
    const pending = await createApproval(ctx, plan);
    await decideApproval(ctx, 'usr_a', pending.id, { ...human, decision: 'approved' });
    expect((await gateOnApproval(ctx, plan, [], 'first')).id).toBe(pending.id);
    // The second claimant finds no unspent approval: a new gate is opened for it.
    await expect(gateOnApproval(ctx, plan, [], 'second')).rejects.toThrow(/approve/);
  });

  it('lets a tentative claim be picked up again by its own claimant only, until it is settled', async () => {
    const plan = { ...input, planHash: 'plan-5' };
    const approval = await createApproval(ctx, plan);
    await decideApproval(ctx, 'usr_a', approval.id, { ...human, decision: 'approved' });
    expect((await gateOnApproval(ctx, plan, [], 'request-1', 'tentative')).id).toBe(approval.id);
    // The same request, rerun after a crash, still holds it; another request does not.
    expect((await gateOnApproval(ctx, plan, [], 'request-1', 'tentative')).id).toBe(approval.id);
    await expect(gateOnApproval(ctx, plan, [], 'request-2', 'tentative')).rejects.toThrow(/approve/);
    await settleApproval(ctx.storage, approval.id);
    await expect(gateOnApproval(ctx, plan, [], 'request-1', 'tentative')).rejects.toThrow(/approve/);
  });

  it('never hands a final claim out again, not even to the same claimant', async () => {
    const plan = { ...input, planHash: 'plan-6' };
    const approval = await createApproval(ctx, plan);
    await decideApproval(ctx, 'usr_a', approval.id, { ...human, decision: 'approved' });
    expect((await gateOnApproval(ctx, plan, [], 'money:budget_raise')).id).toBe(approval.id);
    await expect(gateOnApproval(ctx, plan, [], 'money:budget_raise')).rejects.toThrow(/approve/);
  });

  it('calls the listeners of the decided kind, for this database only', async () => {
    const seen: string[] = [];
    onApprovalDecided(ctx, 'unfreeze', (_ctx, approval) => {
      seen.push(`${approval.id}:${approval.status}`);
    });
    const otherDb = openDatabase(':memory:');
    const other = { ...ctx, db: otherDb, storage: sqliteStorage(otherDb) };
    onApprovalDecided(other, 'unfreeze', () => {
      seen.push('other database');
    });
    const unfreeze = await createApproval(ctx, { ...input, kind: 'unfreeze', planHash: 'plan-3' });
    const purchase = await createApproval(ctx, { ...input, planHash: 'plan-4' });
    await decideApproval(ctx, 'usr_a', unfreeze.id, { ...human, decision: 'denied', reason: 'no' });
    await decideApproval(ctx, 'usr_a', purchase.id, { ...human, decision: 'denied' });
    expect(seen).toEqual([`${unfreeze.id}:denied`]);
    other.db.close();
  });
});
