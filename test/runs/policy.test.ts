import { describe, expect, it } from 'vitest';
import { decidePolicy } from '../../src/sandbox/orchestrator/runs/policy.js';

describe('default purchase policy', () => {
  const base = { amount: 0, refundable: true, itemName: 'data/kv:starter', intentWarnings: [] };

  it('lets a free service through', () => {
    expect(decidePolicy(base)).toEqual({ action: 'go' });
  });

  it('needs an approval for a paid, refundable service, without a typed name', () => {
    expect(decidePolicy({ ...base, amount: 900 })).toEqual({
      action: 'approve',
      reasons: ['paid service: a human approves every purchase'],
      confirmation: null,
    });
  });

  it('needs the exact item typed for a non-refundable purchase', () => {
    const decision = decidePolicy({ ...base, amount: 1299, refundable: false, itemName: 'superseal.club' });
    expect(decision).toMatchObject({ action: 'approve', confirmation: 'superseal.club' });
  });

  it('gates exact-intent findings even when free, with the name typed', () => {
    const decision = decidePolicy({ ...base, itemName: 'my-site', intentWarnings: ['offers "my-site2"'] });
    expect(decision).toEqual({ action: 'approve', reasons: ['offers "my-site2"'], confirmation: 'my-site' });
  });
});
