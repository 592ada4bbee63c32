import { ProjectsError } from '../../protocol/errors.js';
import { characterSkeleton, skeleton } from './confusables.js';
import { damerauLevenshtein } from './distance.js';
import { type NormalizedDomain, normalizeDomain } from './normalize.js';
import { isMixedScript, scriptsOf } from './scripts.js';
import { type VariantKind, variantOf } from './variants.js';

/**
 * S1 exact intent: decide whether buying `offered` when the human asked for `asked` needs a human
 * gate, and say why in terms a person can check with both names side by side. A gate is needed when
 * the names differ at all, or when the asked name is a look-alike of a name the project already has
 * or had (its history) — buying `superseal.cc` for a project that owns `superseal.club` is exactly
 * the purchase an agent should not make alone.
 */
export type LookalikeKind = 'other-tld' | 'confusable' | 'edit-distance' | VariantKind;

export type IntentReasonKind = 'different' | LookalikeKind | 'mixed-script' | 'whole-script-confusable';

export interface DomainDisplay {
  /** As a person reads it (Unicode labels). */
  unicode: string;
  /** As it is registered (punycode A-labels). */
  ascii: string;
}

export interface IntentReason {
  kind: IntentReasonKind;
  /** What the asked name was compared with: the offer, a name in the project history, or itself. */
  against: 'offered' | 'history' | 'self';
  asked: DomainDisplay;
  /** The other name, side by side with `asked` (for `self` reasons: what the asked name looks like). */
  other?: DomainDisplay;
  /** Edit distance between the registrable labels, for `edit-distance`. */
  distance?: number;
  message: string;
}

export interface IntentCheck {
  gateRequired: boolean;
  asked: NormalizedDomain;
  offered: NormalizedDomain;
  reasons: IntentReason[];
}

export interface LookalikeMatch {
  kind: LookalikeKind;
  detail: string;
  distance?: number;
}

/** Throws INVALID_ARGUMENT when `asked` or `offered` is not a valid domain name. */
export function compareIntent(asked: string, offered: string, history: readonly string[] = []): IntentCheck {
  const askedName = normalizeDomain(asked);
  const offeredName = normalizeDomain(offered);
  const reasons = [
    ...offerReasons(askedName, offeredName),
    ...historyReasons(askedName, history),
    ...selfReasons(askedName),
  ];
  return { gateRequired: reasons.length > 0, asked: askedName, offered: offeredName, reasons };
}

/** The look-alike relations between two names (empty when they are genuinely different or equal). */
export function findLookalikes(a: NormalizedDomain, b: NormalizedDomain): LookalikeMatch[] {
  if (a.ascii === b.ascii) return [];
  if (a.label === b.label) {
    return a.suffix === b.suffix ? [] : [{ kind: 'other-tld', detail: `.${a.suffix} vs .${b.suffix}` }];
  }
  const direct = labelLookalikes(a.label, b.label);
  if (direct.length > 0) return direct;
  // Homoglyphs combined with a typo or an affix: compare what the labels look like.
  const looks = labelLookalikes(characterSkeleton(a.label), characterSkeleton(b.label));
  return looks.length > 0 ? [{ kind: 'confusable', detail: `looks like ${looks[0]!.detail}` }] : [];
}

/**
 * Damerau–Levenshtein budget: 2 edits for labels of 8+ characters, 1 below that — two edits in a
 * six-letter word change a third of it (bakery/battery), which the corpus shows is mostly a
 * different word rather than a slip (see docs/benchmarks.md).
 */
export function maxEditDistance(a: string, b: string): number {
  return Math.min([...a].length, [...b].length) >= 8 ? 2 : 1;
}

function labelLookalikes(a: string, b: string): LookalikeMatch[] {
  if (a === b) return [];
  const matches: LookalikeMatch[] = [];
  if (skeleton(a) === skeleton(b)) matches.push({ kind: 'confusable', detail: 'homoglyphs' });
  const variant = variantOf(a, b, maxEditDistance);
  if (variant) matches.push({ kind: variant.kind, detail: variant.affix ? `"${variant.affix}"` : 'hyphens' });
  if (matches.length > 0) return matches;
  // The least specific explanation, so only when no other one applies.
  const distance = damerauLevenshtein(a, b);
  return distance <= maxEditDistance(a, b)
    ? [{ kind: 'edit-distance', detail: `${distance} edit${distance === 1 ? '' : 's'}`, distance }]
    : [];
}

/** Look-alikes of the offer explain the difference; without one, the difference alone needs the gate. */
function offerReasons(asked: NormalizedDomain, offered: NormalizedDomain): IntentReason[] {
  if (asked.ascii === offered.ascii) return [];
  const lookalikes = findLookalikes(asked, offered);
  if (lookalikes.length > 0)
    return lookalikes.map((match) => lookalikeReason(asked, offered, match, 'offered'));
  return [
    {
      kind: 'different',
      against: 'offered',
      asked: display(asked),
      other: display(offered),
      message: `asked for ${asked.unicode} but the offer is ${offered.unicode}`,
    },
  ];
}

function historyReasons(asked: NormalizedDomain, history: readonly string[]): IntentReason[] {
  const seen = new Set<string>([asked.ascii]);
  const reasons: IntentReason[] = [];
  for (const entry of history) {
    const known = tryNormalize(entry);
    if (!known || seen.has(known.ascii)) continue;
    seen.add(known.ascii);
    for (const match of findLookalikes(asked, known))
      reasons.push(lookalikeReason(asked, known, match, 'history'));
  }
  return reasons;
}

/** History comes from local state; a malformed entry there must not block or crash a purchase. */
function tryNormalize(name: string): NormalizedDomain | undefined {
  try {
    return normalizeDomain(name);
  } catch {
    return undefined;
  }
}

function selfReasons(asked: NormalizedDomain): IntentReason[] {
  const reasons: IntentReason[] = [];
  const labels = asked.unicode.split('.');
  const mixed = labels.filter(isMixedScript);
  if (mixed.length > 0) {
    const scripts = mixed.map((label) => `${label}: ${scriptsOf(label).join(' + ')}`).join(', ');
    reasons.push({
      kind: 'mixed-script',
      against: 'self',
      asked: display(asked),
      message: `${asked.unicode} mixes writing systems (${scripts}), a common spoofing device`,
    });
  }
  const lookalike = asciiLookalike(asked);
  if (lookalike) {
    reasons.push({
      kind: 'whole-script-confusable',
      against: 'self',
      asked: display(asked),
      other: { unicode: lookalike, ascii: lookalike },
      message: `${asked.unicode} (${asked.ascii}) looks like ${lookalike} but is a different name`,
    });
  }
  return reasons;
}

/**
 * A name written wholly in another script that reads as a plain ASCII name, e.g. Cyrillic `аррӏе`
 * for `apple` (UTS #39 "whole-script confusable"). Accented Latin names are not this: they are
 * compared with the project's names instead.
 */
function asciiLookalike(asked: NormalizedDomain): string | undefined {
  const labels = asked.unicode.split('.');
  if (!labels.some(isForeignScriptLabel)) return undefined;
  const looks = labels.map((label) => characterSkeleton(label)).join('.');
  return /^[a-z0-9.-]+$/.test(looks) ? looks : undefined;
}

function isForeignScriptLabel(label: string): boolean {
  const scripts = scriptsOf(label);
  return scripts.length > 0 && !scripts.includes('Latin');
}

function lookalikeReason(
  asked: NormalizedDomain,
  other: NormalizedDomain,
  match: LookalikeMatch,
  against: 'offered' | 'history',
): IntentReason {
  const where = against === 'history' ? 'a name this project has used' : 'the offer';
  return {
    kind: match.kind,
    against,
    asked: display(asked),
    other: display(other),
    ...(match.distance === undefined ? {} : { distance: match.distance }),
    message: `${asked.unicode} is a look-alike of ${other.unicode}, ${where}: ${describeMatch(match)}`,
  };
}

const KIND_LABELS: Record<LookalikeKind, string> = {
  'other-tld': 'same name, another top-level domain',
  confusable: 'confusable characters',
  'edit-distance': 'a small spelling difference',
  'hyphen-variant': 'differs only by hyphens',
  'plural-variant': 'plural form',
  'prefix-variant': 'prefixed form',
  'suffix-variant': 'suffixed form',
};

function describeMatch(match: LookalikeMatch): string {
  return `${KIND_LABELS[match.kind]} (${match.detail})`;
}

function display(name: NormalizedDomain): DomainDisplay {
  return { unicode: name.unicode, ascii: name.ascii };
}

/**
 * The error a purchase path throws when `check` needs a gate and none has been satisfied: exit 4,
 * with both names and every reason in `details` for the approval page and `--json` consumers.
 */
export function lookalikeError(check: IntentCheck, next: ProjectsError['next'] = []): ProjectsError {
  const lines = check.reasons.map((reason) => `  - ${reason.message}`).join('\n');
  return new ProjectsError(
    'LOOKALIKE_DOMAIN',
    `buying ${check.offered.unicode} needs a human to confirm the exact name:\n${lines}`,
    {
      details: {
        asked: display(check.asked),
        offered: display(check.offered),
        reasons: check.reasons,
      },
      next,
    },
  );
}
