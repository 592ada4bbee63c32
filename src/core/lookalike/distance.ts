/**
 * Damerau–Levenshtein distance (insertions, deletions, substitutions and transpositions of adjacent
 * characters, unrestricted — Lowrance & Wagner), over code points so that a non-BMP character counts
 * once. Labels are at most 63 characters, so the quadratic table is small.
 */
export function damerauLevenshtein(a: string, b: string): number {
  const s = [...a];
  const t = [...b];
  const infinity = s.length + t.length;
  const lastRowOf = new Map<string, number>();
  // d has two extra rows/columns: index 0 holds "infinity", index 1 the empty prefix.
  const d: number[][] = Array.from({ length: s.length + 2 }, () => new Array<number>(t.length + 2).fill(0));
  d[0]![0] = infinity;
  for (let i = 0; i <= s.length; i++) {
    d[i + 1]![0] = infinity;
    d[i + 1]![1] = i;
  }
  for (let j = 0; j <= t.length; j++) {
    d[0]![j + 1] = infinity;
    d[1]![j + 1] = j;
  }
  for (let i = 1; i <= s.length; i++) {
    let lastMatchColumn = 0;
    for (let j = 1; j <= t.length; j++) {
      const k = lastRowOf.get(t[j - 1]!) ?? 0;
      const l = lastMatchColumn;
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      if (cost === 0) lastMatchColumn = j;
      d[i + 1]![j + 1] = Math.min(
        d[i]![j]! + cost,
        d[i + 1]![j]! + 1,
        d[i]![j + 1]! + 1,
        d[k]![l]! + (i - k - 1) + 1 + (j - l - 1),
      );
    }
    lastRowOf.set(s[i - 1]!, i);
  }
  return d[s.length + 1]![t.length + 1]!;
}
