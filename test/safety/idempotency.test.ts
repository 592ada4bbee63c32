import { describe, expect, it } from 'vitest';
import {
  deriveIdempotencyKey,
  IDEMPOTENCY_KEY_PATTERN,
  idempotencyKeyFor,
} from '../../src/core/idempotency.js';

const step = { projectId: 'prj_1', runId: 'run_1', step: '1:registrar:domain' };

describe('idempotency keys', () => {
  it('are deterministic in project, run and step', () => {
    const a = deriveIdempotencyKey(step, { name: 'superseal.club', amount: 1200 });
    const b = deriveIdempotencyKey({ ...step }, { amount: 1200, name: 'superseal.club' });
    expect(a.key).toMatch(IDEMPOTENCY_KEY_PATTERN);
    expect(a).toEqual(b);
  });

  it('differ for another project, run or step', () => {
    const keys = new Set([
      idempotencyKeyFor(step),
      idempotencyKeyFor({ ...step, projectId: 'prj_2' }),
      idempotencyKeyFor({ ...step, runId: 'run_2' }),
      idempotencyKeyFor({ ...step, step: '2:registrar:domain' }),
    ]);
    expect(keys.size).toBe(4);
  });

  it('cannot be forged by shifting characters between parts', () => {
    expect(idempotencyKeyFor({ projectId: 'prj_1', runId: 'run_1:x', step: 'y' })).not.toBe(
      idempotencyKeyFor({ projectId: 'prj_1', runId: 'run_1', step: 'x:y' }),
    );
  });

  it('keep the key when the body changes so the orchestrator can call it a conflict', () => {
    const first = deriveIdempotencyKey(step, { name: 'superseal.club', amount: 1200 });
    const changed = deriveIdempotencyKey(step, { name: 'superseal.cc', amount: 900 });
    expect(changed.key).toBe(first.key);
    expect(changed.bodyHash).not.toBe(first.bodyHash);
  });

  it.each(['projectId', 'runId', 'step'] as const)('refuse an empty %s', (field) => {
    expect(() => idempotencyKeyFor({ ...step, [field]: ' ' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
