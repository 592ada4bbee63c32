import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalHash } from '../../src/core/canonical-json.js';
import { appendAudit } from '../../src/sandbox/orchestrator/audit/chain.js';
import { type MoneySandbox, purchase, startMoneySandbox } from './harness.js';

let sandbox: MoneySandbox;
beforeEach(async () => {
  sandbox = await startMoneySandbox();
  await sandbox.limits('usr_audit', {});
  for (let i = 0; i < 3; i += 1) {
    await purchase(sandbox, { userId: 'usr_audit', providerId: 'edge', amount: 300 + i, key: `audit-${i}` });
  }
});
afterEach(() => sandbox.close());

interface Row {
  seq: number;
  id: string;
}

/** Tampers with the SQLite file through a second connection, as an attacker with file access would. */
function tamper(sql: string, ...params: unknown[]): void {
  const db = new Database(join(sandbox.context.dataDir, 'sandbox.db'));
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

/** The hashed form of a stored row, as the chain writer builds it. */
function toEvent(row: Record<string, unknown>): Record<string, unknown> {
  const { amount, currency, details, ...rest } = row;
  return {
    ...rest,
    price: amount === null ? null : { amount, currency },
    details: JSON.parse(details as string),
  };
}

function events(): Row[] {
  return sandbox.db.prepare('SELECT seq, id FROM audit_events ORDER BY seq').all() as Row[];
}

async function verify(): Promise<{
  ok: boolean;
  checked: number;
  first_bad: { id: string | null; seq: number; reason: string } | null;
}> {
  const reply = await sandbox.call('GET', '/v1/audit/verify', { user: 'usr_audit' });
  expect(reply.status).toBe(200);
  return reply.body as never;
}

describe('the hash-chained audit log', () => {
  it('records who, what, price and result of every money action and verifies clean', async () => {
    const list = await sandbox.call('GET', '/v1/audit', { user: 'usr_audit' });
    const actions = (
      list.body.events as { action: string; actor: string; price: unknown; result: string }[]
    ).map((event) => `${event.action}:${event.result}`);
    expect(actions).toEqual([
      'payment_token.issue:ok',
      'capture:ok',
      'payment_token.issue:ok',
      'capture:ok',
      'payment_token.issue:ok',
      'capture:ok',
    ]);
    expect(list.body.events).toContainEqual(
      expect.objectContaining({ actor: 'provider:edge', price: { amount: 301, currency: 'usd' } }),
    );
    expect(await verify()).toEqual({ ok: true, checked: 6, first_bad: null });
  });

  it('records refusals too, and filters by run and time', async () => {
    await sandbox.limits('usr_audit', { per_invocation_ceiling: 100 });
    await purchase(sandbox, { userId: 'usr_audit', providerId: 'edge', amount: 500, key: 'audit-refused' });
    const run = await sandbox.call('POST', '/v1/runs', { user: 'usr_audit', body: { budget: 1000 } });
    await purchase(sandbox, {
      userId: 'usr_audit',
      providerId: 'edge',
      amount: 50,
      key: 'audit-run',
      runId: run.body.id as string,
    });
    const all = (await sandbox.call('GET', '/v1/audit', { user: 'usr_audit' })).body.events as {
      result: string;
    }[];
    expect(all.map((event) => event.result)).toContain('BUDGET_EXCEEDED');
    const byRun = await sandbox.call('GET', `/v1/audit?run=${run.body.id}`, { user: 'usr_audit' });
    expect((byRun.body.events as { action: string }[]).map((event) => event.action)).toEqual([
      'run.start',
      'payment_token.issue',
      'capture',
    ]);
    const future = await sandbox.call(
      'GET',
      `/v1/audit?since=${new Date(Date.now() + 60_000).toISOString()}`,
      {
        user: 'usr_audit',
      },
    );
    expect(future.body.events).toEqual([]);
    const someoneElse = await sandbox.call('GET', '/v1/audit', { user: 'usr_other' });
    expect(someoneElse.body.events).toEqual([]);
  });

  it('names an edited event', async () => {
    const target = events()[3] as Row;
    tamper('UPDATE audit_events SET amount = amount + 1 WHERE seq = ?', target.seq);
    expect(await verify()).toMatchObject({
      ok: false,
      checked: 3,
      first_bad: { id: target.id, seq: target.seq },
    });
  });

  it('names the event after a deleted one', async () => {
    const after = events()[2] as Row;
    tamper('DELETE FROM audit_events WHERE seq = ?', after.seq - 1);
    expect(await verify()).toMatchObject({ ok: false, first_bad: { id: after.id } });
  });

  it('names the event after a deleted one even when the attacker renumbers and rehashes the rest', async () => {
    const rows = events();
    const removed = rows[2] as Row;
    tamper('DELETE FROM audit_events WHERE seq = ?', removed.seq);
    for (const row of rows.slice(3)) {
      const stored = sandbox.db.prepare('SELECT * FROM audit_events WHERE seq = ?').get(row.seq);
      const { hash: _old, ...unhashed } = toEvent(stored as Record<string, unknown>);
      tamper(
        'UPDATE audit_events SET seq = ?, hash = ? WHERE id = ?',
        row.seq - 1,
        canonicalHash(unhashed),
        row.id,
      );
    }
    tamper('UPDATE audit_head SET seq = seq - 1');
    expect(await verify()).toMatchObject({
      ok: false,
      first_bad: { id: rows[3]?.id, reason: expect.stringMatching(/prev_hash/) },
    });
  });

  it('names a deleted last event through the chain head', async () => {
    const last = events().at(-1) as Row;
    tamper('DELETE FROM audit_events WHERE seq = ?', last.seq);
    expect(await verify()).toMatchObject({
      ok: false,
      checked: 5,
      first_bad: { id: last.id, seq: last.seq },
    });
  });

  it('names the first of two reordered events', async () => {
    const [, second, third] = events() as Row[];
    tamper('UPDATE audit_events SET seq = -1 WHERE seq = ?', second?.seq);
    tamper('UPDATE audit_events SET seq = ? WHERE seq = ?', second?.seq, third?.seq);
    tamper('UPDATE audit_events SET seq = ? WHERE seq = -1', third?.seq);
    expect(await verify()).toMatchObject({
      ok: false,
      checked: 1,
      first_bad: { id: third?.id, seq: second?.seq },
    });
  });

  it('chains events that other modules append inside their own units of work', async () => {
    const before = events().length;
    await expect(
      sandbox.storage.transaction(async (tx) => {
        await appendAudit(tx, {
          userId: 'usr_audit',
          actor: 'system',
          action: 'test.rolled_back',
          result: 'ok',
        });
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(events()).toHaveLength(before);
    const event = await appendAudit(sandbox.storage, {
      userId: 'usr_audit',
      actor: 'system',
      action: 'test.kept',
      result: 'ok',
    });
    expect(event.seq).toBe(before + 1);
    expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
