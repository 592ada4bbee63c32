/**
 * A compact confusables skeleton for domain labels, after Unicode TS #39 §4 ("skeleton"): two labels
 * whose skeletons are equal look the same to a reader. The table below is a curated subset of the
 * prototypes in Unicode's confusables.txt, limited to what matters for domain names after IDNA
 * mapping (which already folds case, full-width and compatibility forms): Cyrillic, Greek and
 * extended-Latin homoglyphs of ASCII letters, and the digits 0/o and 1/l. It is data in the source
 * tree on purpose — nothing is fetched at run time.
 */
// biome-ignore format: a data table reads better packed
const HOMOGLYPHS: Record<string, string> = {
  // Cyrillic
  а: 'a', б: '6', г: 'r', е: 'e', з: '3', к: 'k', о: 'o', п: 'n', р: 'p', с: 'c', у: 'y', х: 'x', ь: 'b',
  ѕ: 's', і: 'i', ј: 'j', һ: 'h', ӏ: 'l', ԁ: 'd', ԛ: 'q', ԝ: 'w', ѡ: 'w', ү: 'y', ҳ: 'x', ы: 'bl', ѵ: 'v',
  ԍ: 'g', ꙇ: 'i',
  // Greek
  α: 'a', β: 'b', γ: 'y', ε: 'e', η: 'n', ι: 'i', κ: 'k', μ: 'u', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u',
  χ: 'x', ω: 'w', ϲ: 'c', ϳ: 'j',
  // Latin beyond ASCII whose difference is not a combining mark (NFD does not remove it)
  ı: 'i', ɩ: 'i', ɪ: 'i', ł: 'l', ŀ: 'l', ƚ: 'l', ø: 'o', ɵ: 'o', đ: 'd', ð: 'd', ɗ: 'd', ħ: 'h', ŧ: 't',
  ƀ: 'b', ɓ: 'b', ɑ: 'a', ȷ: 'j', ʏ: 'y', ᴄ: 'c', ᴏ: 'o', ᴠ: 'v', ᴡ: 'w', ᴢ: 'z', ĸ: 'k', ɡ: 'g', ɢ: 'g',
  ß: 'ss', æ: 'ae', œ: 'oe', ƿ: 'p', ʋ: 'u', ɾ: 'r',
  // Digits that read as letters
  '0': 'o', '1': 'l',
};

/**
 * Letter sequences that read as one letter. Skeletons spell the single letter as the sequence, so
 * `modern` and `rnodern` meet at `rnoclern`.
 */
const SEQUENCES: ReadonlyArray<readonly [RegExp, string]> = [
  [/m/g, 'rn'],
  [/w/g, 'vv'],
  [/d/g, 'cl'],
];

const COMBINING_MARK = /\p{M}/gu;

/**
 * Per-character skeleton: accents dropped, homoglyphs replaced by their ASCII prototype. Lengths
 * stay close to the input, so edit distances and affix checks still make sense on it.
 */
export function characterSkeleton(label: string): string {
  const bare = label.normalize('NFD').replace(COMBINING_MARK, '').toLowerCase();
  let out = '';
  for (const char of bare) out += HOMOGLYPHS[char] ?? char;
  return out;
}

/** Full skeleton: the character skeleton with look-alike letter sequences folded together. */
export function skeleton(label: string): string {
  return SEQUENCES.reduce(
    (text, [pattern, spelled]) => text.replace(pattern, spelled),
    characterSkeleton(label),
  );
}

/** Whether two different labels look the same. */
export function areConfusable(a: string, b: string): boolean {
  return a !== b && skeleton(a) === skeleton(b);
}
