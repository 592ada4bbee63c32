import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/cli/journal.js';
import { IDEMPOTENCY_KEY_PATTERN, idempotencyKeyFor } from '../../src/core/idempotency.js';

const intent = { service: 'edge/registrar:domain', name: 'superseal.club', config: {} };

describe('provisioning journal', () => {
  it('keeps one key per step across reruns until the step is finished', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const first = new Journal(dir).begin('provision:x', 'prj_1', intent, undefined);
    expect(first.idempotency_key).toMatch(IDEMPOTENCY_KEY_PATTERN);
    expect(first.run_id).toMatch(/^inv_/);
    // A new process (a rerun after a crash or a gate) reads the same entry back.
    const again = new Journal(dir).begin('provision:x', 'prj_1', intent, 'run_other');
    expect(again.idempotency_key).toBe(first.idempotency_key);
    expect(statSync(join(dir, 'journal.json')).mode & 0o777).toBe(0o600);
  });

  it('derives the key from the run when one is active', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const entry = new Journal(dir).begin('provision:x', 'prj_1', intent, 'run_abc');
    expect(entry.idempotency_key).toBe(
      idempotencyKeyFor({ projectId: 'prj_1', runId: 'run_abc', step: 'provision:x' }),
    );
  });

  it('answers a finished step, and refuses it for another intent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const journal = new Journal(dir);
    const entry = journal.begin('provision:x', 'prj_1', intent, undefined);
    journal.complete(entry, 'res_1');
    expect(journal.begin('provision:x', 'prj_1', intent, undefined)).toMatchObject({
      status: 'done',
      resource_id: 'res_1',
      idempotency_key: entry.idempotency_key,
    });
    expect(() =>
      journal.begin('provision:x', 'prj_1', { ...intent, config: { years: 2 } }, undefined),
    ).toThrow(expect.objectContaining({ code: 'IDEMPOTENCY_CONFLICT' }));
  });

  it('starts over with a new key when asked (what the step made was removed)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const journal = new Journal(dir);
    const entry = journal.begin('provision:x', 'prj_1', intent, undefined);
    journal.complete(entry, 'res_1');
    const fresh = journal.start('provision:x', 'prj_1', entry.intent_hash, undefined);
    expect(fresh.idempotency_key).not.toBe(entry.idempotency_key);
    expect(journal.get('provision:x')?.status).toBe('started');
  });
});
