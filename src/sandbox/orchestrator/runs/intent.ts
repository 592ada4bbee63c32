import { compareIntent } from '../../../core/lookalike/index.js';
import type { Quote as ProviderQuote } from '../../../protocol/provider.js';

/** What S1 (exact intent) found about an offer: the two names to show side by side, and why it is gated. */
export interface IntentFindings {
  nameAsked: string | null;
  nameOffered: string | null;
  warnings: string[];
}

/**
 * S1: a named purchase (a domain) goes through only for the exact name the human asked for. When the
 * provider offers another name, or the asked name looks like one the project already has or had, the
 * findings carry the reasons and policy turns them into a gate that shows both names.
 */
export function checkIntent(
  kind: string,
  asked: string | undefined,
  quote: ProviderQuote,
  history: readonly string[],
): IntentFindings {
  const nameAsked = asked ?? quote.name_requested;
  const nameOffered = quote.name_offered;
  if (nameAsked === null || nameOffered === null) return { nameAsked, nameOffered, warnings: [] };
  if (kind !== 'domain') {
    // Not a domain (a site or zone name, a store label): names here are DNS-like, so case does not
    // matter, but any other difference is worth a human's look.
    const same = nameAsked.toLowerCase() === nameOffered.toLowerCase();
    const warnings = same ? [] : [`the provider offers "${nameOffered}", not "${nameAsked}"`];
    return { nameAsked, nameOffered, warnings };
  }
  const check = compareIntent(nameAsked, nameOffered, history);
  return { nameAsked, nameOffered, warnings: check.reasons.map((reason) => reason.message) };
}
