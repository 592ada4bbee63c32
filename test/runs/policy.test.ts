import { describe, expect, it } from 'vitest';
import { decidePolicy } from '../../src/sandbox/orchestrator/runs/policy.js';

const OFF = { amount: 0, currency: 'usd' };

describe('default purchase policy', () => {
  const base = {
    amount: 0,
    currency: 'usd',
    refundable: true,
    itemName: 'data/kv:starter',
    intentWarnings: [],
    autoApproveBelow: OFF,
  };

  it('lets a free service through', () => {
    expect(decidePolicy(base)).toEqual({
      action: 'go',
      authorization: { authorized_by: 'policy', rule: 'free' },
    });
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

describe('the auto-approve rule', () => {
  const threshold = { amount: 500, currency: 'usd' };
  const refundable = {
    amount: 400,
    currency: 'usd',
    refundable: true,
    itemName: 'trial/backup:vault',
    intentWarnings: [],
    autoApproveBelow: threshold,
  };

  it('lets a refundable purchase under or at the threshold through, saying so', () => {
    for (const amount of [1, 400, 500]) {
      expect(decidePolicy({ ...refundable, amount })).toEqual({
        action: 'go',
        authorization: { authorized_by: 'policy', rule: 'auto_approve_below', threshold },
      });
    }
  });

  it('asks a human for a purchase over the threshold, naming the limit', () => {
    expect(decidePolicy({ ...refundable, amount: 501 })).toEqual({
      action: 'approve',
      reasons: ['paid service: $5.01 is over the auto-approve limit of $5.00'],
      confirmation: null,
    });
  });

  it('never covers a non-refundable purchase: the exact name is typed, whatever the threshold', () => {
    const decision = decidePolicy({
      ...refundable,
      refundable: false,
      itemName: 'autoshop.com',
      autoApproveBelow: { amount: 1_000_000, currency: 'usd' },
    });
    expect(decision).toEqual({
      action: 'approve',
      reasons: [
        'paid service: the auto-approve rule never covers a non-refundable purchase or a name to check',
        'non-refundable: cannot be undone',
      ],
      confirmation: 'autoshop.com',
    });
  });

  it('never covers a purchase with an exact-intent warning', () => {
    const decision = decidePolicy({
      ...refundable,
      itemName: 'shop.cc',
      intentWarnings: ['asked shop.club'],
    });
    expect(decision).toMatchObject({ action: 'approve', confirmation: 'shop.cc' });
    expect(decision.action === 'approve' && decision.reasons).toContain('asked shop.club');
  });

  it('is off at 0, and never compares amounts in another currency', () => {
    expect(decidePolicy({ ...refundable, autoApproveBelow: OFF }).action).toBe('approve');
    const euros = decidePolicy({ ...refundable, autoApproveBelow: { amount: 500, currency: 'eur' } });
    expect(euros).toMatchObject({
      action: 'approve',
      reasons: ['paid service: a human approves every purchase'],
    });
  });
});
