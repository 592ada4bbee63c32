import { formatMoney } from '../../../core/money.js';
import type { Money } from '../../../protocol/orchestrator.js';

/**
 * The orchestrator's purchase policy (DESIGN.md §3, issue 6): free services go through; paid services need
 * a human's approval unless the user's auto-approve rule pre-authorizes them; a non-refundable purchase
 * always needs one, with the exact name typed. Exact-intent findings (S1) add a gate of their own, and
 * neither they nor a non-refundable purchase are ever pre-authorized, whatever the threshold. Pure: the
 * caller brings the facts, the rule included (it lives with the user's limits and is raised only through
 * a gate). Spend limits (S2) are not decided here: they bind every purchase at token issue and capture.
 */
export interface PolicyInput {
  /** The quoted price in minor units (0 for a free service). */
  amount: number;
  currency: string;
  refundable: boolean;
  /** The name the human will have to type for an irreversible purchase (the offered name). */
  itemName: string;
  /** Exact-intent findings: the name offered differs from the one asked, or looks like a known one. */
  intentWarnings: readonly string[];
  /** The user's `auto_approve_below`: the most a refundable purchase may cost to skip the approval (0: off). */
  autoApproveBelow: Money;
}

/** Why a purchase went through without a human: it was free, or the user's rule pre-authorized it. */
export type PolicyAuthorization =
  | { authorized_by: 'policy'; rule: 'free' }
  | { authorized_by: 'policy'; rule: 'auto_approve_below'; threshold: Money };

export type PolicyDecision =
  | { action: 'go'; authorization: PolicyAuthorization }
  | { action: 'approve'; reasons: string[]; confirmation: string | null };

export function decidePolicy(input: PolicyInput): PolicyDecision {
  const irreversible = !input.refundable && input.amount > 0;
  if (input.intentWarnings.length === 0 && !irreversible) {
    if (input.amount === 0) return { action: 'go', authorization: { authorized_by: 'policy', rule: 'free' } };
    if (autoApproves(input)) {
      const threshold = input.autoApproveBelow;
      return {
        action: 'go',
        authorization: { authorized_by: 'policy', rule: 'auto_approve_below', threshold },
      };
    }
  }
  const reasons: string[] = [];
  if (input.amount > 0) reasons.push(paidReason(input));
  if (irreversible) reasons.push('non-refundable: cannot be undone');
  reasons.push(...input.intentWarnings);
  const typed = irreversible || input.intentWarnings.length > 0;
  return { action: 'approve', reasons, confirmation: typed ? input.itemName : null };
}

/** A threshold in another currency than the quote's never applies: amounts are not comparable. */
function autoApproves(input: PolicyInput): boolean {
  const threshold = input.autoApproveBelow;
  return threshold.currency === input.currency && input.amount <= threshold.amount;
}

/** Why this paid purchase waits for a human, in the terms of the rule that did not cover it. */
function paidReason(input: PolicyInput): string {
  const threshold = input.autoApproveBelow;
  if (threshold.amount === 0 || threshold.currency !== input.currency) {
    return 'paid service: a human approves every purchase';
  }
  if (!input.refundable || input.intentWarnings.length > 0) {
    return 'paid service: the auto-approve rule never covers a non-refundable purchase or a name to check';
  }
  const money = (amount: number) => formatMoney(amount, input.currency);
  return `paid service: ${money(input.amount)} is over the auto-approve limit of ${money(threshold.amount)}`;
}
