import { damerauLevenshtein } from './distance.js';

/**
 * Hyphen, plural, prefix and suffix variants of a name — the forms a squatter registers, or an agent
 * "helpfully" picks when the name asked for is taken: `super-seal`, `superseals`, `getsuperseal`,
 * `superseal-app`. Compared on hyphen-free labels so `get-superseal-hq` and `getsupersealhq` agree.
 */
export type VariantKind = 'hyphen-variant' | 'plural-variant' | 'prefix-variant' | 'suffix-variant';

export interface Variant {
  kind: VariantKind;
  /** What was added to the shorter name, e.g. `get` or `app`; '' for hyphens. */
  affix: string;
}

// biome-ignore format: a data table reads better packed
const PREFIXES = new Set([
  'get', 'my', 'try', 'use', 'go', 'the', 'join', 'hello', 'hey', 'meet', 'with', 'app', 'buy', 'shop',
  'our', 'your', 'real', 'official', 'team', 'hq', 'login', 'secure', 'pay', 'web', 'www', 'mail', 'on',
  'we', 'i', 'e', 'new', 'best', 'top', 'pro', 'dev', 'cloud', 'api', 'portal', 'account',
]);

// biome-ignore format: a data table reads better packed
const SUFFIXES = new Set([
  'app', 'hq', 'io', 'ly', 'ify', 'hub', 'lab', 'online', 'site', 'web', 'now', 'inc', 'co', 'corp',
  'group', 'shop', 'store', 'official', 'team', 'dev', 'api', 'cloud', 'tech', 'pay', 'login', 'secure',
  'support', 'help', 'mail', 'news', 'blog', 'global', 'world', 'us', 'uk', 'eu', 'home', 'go', 'ai', 'x',
  'plus', 'pro', 'net', 'org', 'com', 'info', 'live', 'studio', 'digital', 'media', 'systems', 'solutions',
  'services', 'cc', 'club', 'portal', 'account', 'verify',
]);

const PLURAL_ENDINGS = new Set(['s', 'es']);
const DIGITS = /^[0-9]+$/;
/** Names this short are inside everything; the edit-distance check covers them instead. */
const MIN_CORE_LENGTH = 3;

export type EditBudget = (a: string, b: string) => number;

/**
 * The variant relation between two labels, or undefined when neither is a variant of the other.
 * `maxEdits` is the bare typo budget; the name inside affixes gets one edit less
 * (`mysupersael` for `superseal`).
 */
export function variantOf(a: string, b: string, maxEdits: EditBudget): Variant | undefined {
  if (a === b) return undefined;
  const plainA = a.replaceAll('-', '');
  const plainB = b.replaceAll('-', '');
  if (plainA === plainB) return { kind: 'hyphen-variant', affix: '' };
  const [shorter, longer] = plainA.length <= plainB.length ? [plainA, plainB] : [plainB, plainA];
  return affixVariant(shorter, longer, maxEdits) ?? pluralInY(shorter, longer);
}

/**
 * `longer` is `shorter`, or a near miss of it, wrapped in any number of known prefixes and suffixes
 * (`the-real-superseal`, `superseal-official-store`) or trailing digits (`superseal2024`). The
 * closest core wins, so an exact affix variant is preferred to one with a typo.
 */
function affixVariant(shorter: string, longer: string, maxEdits: EditBudget): Variant | undefined {
  if (shorter.length < MIN_CORE_LENGTH) return undefined;
  let best: { variant: Variant; distance: number } | undefined;
  for (const coreStart of affixRunEnds(longer, isPrefix)) {
    for (const coreEnd of affixRunStarts(longer, isSuffix)) {
      if (coreEnd - coreStart < MIN_CORE_LENGTH || (coreStart === 0 && coreEnd === longer.length)) continue;
      const core = longer.slice(coreStart, coreEnd);
      const distance = core === shorter ? 0 : damerauLevenshtein(core, shorter);
      // An affix and a typo together: one edit less than a bare typo may use (none for short names).
      if (distance > maxEdits(core, shorter) - 1 || (best && best.distance <= distance)) continue;
      best = { variant: classifyAffix(longer.slice(0, coreStart), longer.slice(coreEnd)), distance };
    }
  }
  return best?.variant;
}

const isPrefix = (segment: string): boolean => PREFIXES.has(segment);

const isSuffix = (segment: string): boolean =>
  SUFFIXES.has(segment) || PLURAL_ENDINGS.has(segment) || DIGITS.test(segment);

/** Offsets i such that text[0, i) is a (possibly empty) run of accepted segments (word-break DP). */
function affixRunEnds(text: string, accepts: (segment: string) => boolean): number[] {
  const reachable = [true, ...new Array<boolean>(text.length).fill(false)];
  for (let from = 0; from < text.length; from++) {
    if (!reachable[from]) continue;
    for (let to = from + 1; to <= text.length; to++) if (accepts(text.slice(from, to))) reachable[to] = true;
  }
  return reachable.flatMap((ok, i) => (ok && i < text.length ? [i] : []));
}

/** Offsets i such that text[i, end) is a (possibly empty) run of accepted segments. */
function affixRunStarts(text: string, accepts: (segment: string) => boolean): number[] {
  const reachable = [...new Array<boolean>(text.length).fill(false), true];
  for (let to = text.length; to > 0; to--) {
    if (!reachable[to]) continue;
    for (let from = to - 1; from >= 0; from--) if (accepts(text.slice(from, to))) reachable[from] = true;
  }
  return reachable.flatMap((ok, i) => (ok && i > 0 ? [i] : []));
}

function classifyAffix(head: string, tail: string): Variant {
  if (head !== '') return { kind: 'prefix-variant', affix: tail ? `${head}…${tail}` : head };
  return { kind: PLURAL_ENDINGS.has(tail) ? 'plural-variant' : 'suffix-variant', affix: tail };
}

/** company → companies. */
function pluralInY(shorter: string, longer: string): Variant | undefined {
  if (shorter.endsWith('y') && longer === `${shorter.slice(0, -1)}ies`) {
    return { kind: 'plural-variant', affix: 'ies' };
  }
  return undefined;
}
