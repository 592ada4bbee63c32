/**
 * The orchestrator's default purchase policy (DESIGN.md §3, issue 6): free services go through; paid
 * services need a human's approval; a non-refundable purchase always needs one, with the exact name
 * typed. Exact-intent findings (S1) add a gate of their own. Pure: the caller brings the facts.
 */
export interface PolicyInput {
  /** The quoted price in minor units (0 for a free service). */
  amount: number;
  refundable: boolean;
  /** The name the human will have to type for an irreversible purchase (the offered name). */
  itemName: string;
  /** Exact-intent findings: the name offered differs from the one asked, or looks like a known one. */
  intentWarnings: readonly string[];
}

export type PolicyDecision =
  | { action: 'go' }
  | { action: 'approve'; reasons: string[]; confirmation: string | null };

export function decidePolicy(input: PolicyInput): PolicyDecision {
  const reasons: string[] = [];
  if (input.amount > 0) reasons.push('paid service: a human approves every purchase');
  if (!input.refundable && input.amount > 0) reasons.push('non-refundable: cannot be undone');
  reasons.push(...input.intentWarnings);
  if (reasons.length === 0) return { action: 'go' };
  const irreversible = !input.refundable && input.amount > 0;
  const typed = irreversible || input.intentWarnings.length > 0;
  return { action: 'approve', reasons, confirmation: typed ? input.itemName : null };
}
