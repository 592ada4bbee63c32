import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JOURNAL_RETENTION_MS, JournalSession, journalDir } from '../../src/client/journal-store.js';
import { journalKey } from '../../src/core/journal.js';
import { ProjectsError } from '../../src/protocol/errors.js';
import { rejection } from '../helpers/rejection.js';

const identity = { command: 'provision', args: { name: 'superseal.club' }, projectId: 'prj_1' };
let dir: string;

beforeEach(() => {
  dir = journalDir(mkdtempSync(join(tmpdir(), 'projects-journal-')));
});
afterEach(() => rmSync(join(dir, '..', '..'), { recursive: true, force: true }));

/** A fake billable endpoint: one charge per new key, the first answer for a repeated key. */
function biller() {
  const byKey = new Map<string, string>();
  const keysSeen: string[] = [];
  return {
    keysSeen,
    charges: () => byKey.size,
    charge: async ({ key }: { key: string }) => {
      keysSeen.push(key);
      if (!byKey.has(key)) byKey.set(key, `cap_${byKey.size + 1}`);
      return { charge_id: byKey.get(key)!, card: '4242 4242 4242 4242' };
    },
  };
}

describe('JournalSession', () => {
  it('journals a step as started before acting, with the key the act must send', async () => {
    const session = await JournalSession.open(dir, identity);
    let seenOnDisk: unknown;
    await session.step({ id: 'buy', body: { amount: 1200 } }, async ({ key }) => {
      seenOnDisk = JSON.parse(readFileSync(join(dir, `${journalKey(identity)}.json`), 'utf8'));
      return key;
    });
    expect(seenOnDisk).toMatchObject({ steps: [{ id: 'buy', status: 'started', attempts: 1 }] });
    expect(session.snapshot().steps[0]).toMatchObject({ status: 'done' });
    await session.close();
  });

  it('skips a done step on rerun and keeps only the summary, never the secret-bearing value', async () => {
    const bill = biller();
    const first = await JournalSession.open(dir, identity);
    const spec = { id: 'buy', body: { amount: 1200 }, summarize: (c: { charge_id: string }) => c.charge_id };
    const outcome = await first.step(spec, bill.charge);
    expect(outcome).toMatchObject({ replayed: false, recorded: 'cap_1' });
    await first.close(); // interrupted before finish
    const text = readFileSync(join(dir, `${journalKey(identity)}.json`), 'utf8');
    expect(text).not.toContain('4242');
    const rerun = await JournalSession.open(dir, identity);
    expect(rerun.resumed).toBe(true);
    expect(await rerun.step(spec, bill.charge)).toEqual({ replayed: true, recorded: 'cap_1' });
    expect(bill.keysSeen).toHaveLength(1);
    await rerun.finish();
  });

  it('repeats a step whose outcome is unknown with the same key (the server replays it)', async () => {
    const bill = biller();
    const first = await JournalSession.open(dir, identity);
    const spec = { id: 'buy', body: { amount: 1200 }, summarize: (c: { charge_id: string }) => c.charge_id };
    await rejection(
      first.step(spec, async (key) => {
        await bill.charge(key); // it went through, but the answer was lost
        throw new ProjectsError('PROVIDER_UNAVAILABLE', 'timed out');
      }),
    );
    await first.close();
    const rerun = await JournalSession.open(dir, identity);
    expect(await rerun.step(spec, bill.charge)).toMatchObject({ replayed: false, recorded: 'cap_1' });
    expect(new Set(bill.keysSeen).size).toBe(1);
    expect(bill.charges()).toBe(1);
    expect(rerun.snapshot().steps[0]).toMatchObject({ attempts: 2, generation: 0 });
  });

  it('refuses to resend an uncertain step with a changed body', async () => {
    const first = await JournalSession.open(dir, identity);
    await rejection(
      first.step({ id: 'buy', body: { amount: 1200 } }, () =>
        Promise.reject(new ProjectsError('INVALID_RESPONSE', 'garbage')),
      ),
    );
    await first.close();
    const rerun = await JournalSession.open(dir, identity);
    let acted = false;
    const error = await rejection(
      rerun.step({ id: 'buy', body: { amount: 9900 } }, async () => {
        acted = true;
      }),
    );
    expect(error).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', exitCode: 7 });
    expect(acted).toBe(false);
  });

  it('gives a definitely refused step a fresh key, so a changed request can go through', async () => {
    const bill = biller();
    const first = await JournalSession.open(dir, identity);
    await rejection(
      first.step({ id: 'buy', body: { amount: 1200 } }, () =>
        Promise.reject(new ProjectsError('QUOTE_EXPIRED', 'quote expired', { httpStatus: 409 })),
      ),
    );
    const retried = await first.step({ id: 'buy', body: { amount: 1300 } }, bill.charge);
    expect(retried.replayed).toBe(false);
    const step = first.snapshot().steps[0]!;
    expect(step).toMatchObject({ status: 'done', generation: 1, attempts: 2 });
    await first.close();
  });

  it('treats a local error after the call as uncertain: same key, even if its code looks definite', async () => {
    const bill = biller();
    const first = await JournalSession.open(dir, identity);
    const spec = { id: 'buy', body: { amount: 1200 }, summarize: (c: { charge_id: string }) => c.charge_id };
    await rejection(
      first.step(spec, async (key) => {
        await bill.charge(key);
        throw new ProjectsError('HUMAN_REQUIRED', 'keychain needs a human to unlock it');
      }),
    );
    const retried = await first.step(spec, bill.charge);
    expect(retried).toMatchObject({ replayed: false, recorded: 'cap_1' });
    expect(bill.charges()).toBe(1);
    expect(first.snapshot().steps[0]).toMatchObject({ generation: 0, attempts: 2 });
    await first.close();
  });

  it('answers a rerun of a finished command with its results within 24 h, then starts afresh', async () => {
    let now = Date.parse('2026-12-04T12:00:00Z');
    const clock = () => now;
    const bill = biller();
    const spec = { id: 'buy', body: { amount: 1200 }, summarize: (c: { charge_id: string }) => c.charge_id };
    const first = await JournalSession.open(dir, identity, clock);
    await first.step(spec, bill.charge);
    await first.finish();
    now += JOURNAL_RETENTION_MS - 1000;
    const retry = await JournalSession.open(dir, identity, clock);
    expect(await retry.step(spec, bill.charge)).toEqual({ replayed: true, recorded: 'cap_1' });
    await retry.finish();
    now += JOURNAL_RETENTION_MS;
    const later = await JournalSession.open(dir, identity, clock);
    expect(later.resumed).toBe(false);
    expect(later.invocationId).not.toBe(retry.invocationId);
    await later.close();
  });

  it('uses the run id, not the invocation, for keys when a run is active', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 2; i++) {
      const session = await JournalSession.open(join(dir, String(i)), { ...identity, runId: 'run_1' });
      await session.step({ id: 'buy', body: {} }, async ({ key }) => keys.push(key));
      await session.close();
    }
    expect(keys[0]).toBe(keys[1]);
  });

  it('refuses a second copy of a running command and takes over the lock of a dead one', async () => {
    const running = await JournalSession.open(dir, identity);
    const error = await rejection(JournalSession.open(dir, identity));
    expect(error).toMatchObject({
      code: 'IDEMPOTENCY_CONFLICT',
      details: { in_progress: true, pid: process.pid },
    });
    await running.close();
    const dead = await deadPid();
    writeFileSync(join(dir, `${journalKey(identity)}.lock`), String(dead));
    const next = await JournalSession.open(dir, identity);
    expect(next.resumed).toBe(true);
    await next.close();
  });

  it('refuses a corrupt journal instead of starting over (which could pay twice)', async () => {
    const session = await JournalSession.open(dir, identity);
    await session.close();
    writeFileSync(join(dir, `${journalKey(identity)}.json`), '{"version":1,"steps":[');
    expect(await rejection(JournalSession.open(dir, identity))).toMatchObject({ code: 'INTERNAL' });
    writeFileSync(join(dir, `${journalKey(identity)}.json`), '{"version":2}');
    expect((await rejection(JournalSession.open(dir, identity))).message).toContain('not a journal');
    expect(readdirSync(dir).filter((name) => name.endsWith('.lock'))).toEqual([]);
  });
});

function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0']);
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid!));
  });
}
