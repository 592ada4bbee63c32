/**
 * Script mixing (Unicode TS #39 §5.2, "highly restrictive"): a label whose letters come from more
 * than one script is a classic spoofing device (`pаypal` with a Cyrillic а). Mixing Latin with the
 * scripts of Chinese, Japanese and Korean writing is allowed, as UTS #39 allows it.
 */
const SCRIPTS: ReadonlyArray<readonly [string, RegExp]> = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Georgian', /\p{Script=Georgian}/u],
  ['Cherokee', /\p{Script=Cherokee}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
  ['Thai', /\p{Script=Thai}/u],
  ['Han', /\p{Script=Han}/u],
  ['Hiragana', /\p{Script=Hiragana}/u],
  ['Katakana', /\p{Script=Katakana}/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Bopomofo', /\p{Script=Bopomofo}/u],
];

const ALLOWED_MIXES: ReadonlyArray<ReadonlySet<string>> = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];

/** Letters of a specific script; Common ones (the Japanese prolonged-sound mark ー) belong to none. */
const SCRIPT_LETTER = /(?![\p{Script=Common}\p{Script=Inherited}])\p{L}/u;

/** The scripts of the letters in `label` (digits, hyphens and marks belong to none). */
export function scriptsOf(label: string): string[] {
  const found = new Set<string>();
  for (const char of label) {
    if (!SCRIPT_LETTER.test(char)) continue;
    found.add(SCRIPTS.find(([, pattern]) => pattern.test(char))?.[0] ?? 'Other');
  }
  return [...found].sort();
}

export function isMixedScript(label: string): boolean {
  const scripts = scriptsOf(label);
  if (scripts.length < 2) return false;
  return !ALLOWED_MIXES.some((allowed) => scripts.every((script) => allowed.has(script)));
}
