import { findLookalikes } from './intent.js';
import { normalizeDomain } from './normalize.js';

/**
 * Scoring of the labelled look-alike corpus (test/fixtures/lookalike-corpus.json), shared by the
 * test that guards the rates and `npm run bench:lookalike` that reports them.
 */
export interface CorpusPair {
  asked: string;
  known: string;
  lookalike: boolean;
  category: string;
}

export interface CorpusScore {
  pairs: number;
  lookalikes: number;
  different: number;
  /** Share of look-alike pairs flagged. */
  detectionRate: number;
  /** Share of genuinely different pairs flagged. */
  falseAlarmRate: number;
  missed: CorpusPair[];
  falseAlarms: CorpusPair[];
  byCategory: Record<string, { pairs: number; flagged: number }>;
}

export function isFlagged(pair: CorpusPair): boolean {
  return findLookalikes(normalizeDomain(pair.asked), normalizeDomain(pair.known)).length > 0;
}

export function scoreCorpus(pairs: readonly CorpusPair[]): CorpusScore {
  const missed: CorpusPair[] = [];
  const falseAlarms: CorpusPair[] = [];
  const byCategory: CorpusScore['byCategory'] = {};
  for (const pair of pairs) {
    const flagged = isFlagged(pair);
    const category = byCategory[pair.category] ?? { pairs: 0, flagged: 0 };
    byCategory[pair.category] = { pairs: category.pairs + 1, flagged: category.flagged + (flagged ? 1 : 0) };
    if (pair.lookalike && !flagged) missed.push(pair);
    if (!pair.lookalike && flagged) falseAlarms.push(pair);
  }
  const lookalikes = pairs.filter((pair) => pair.lookalike).length;
  const different = pairs.length - lookalikes;
  return {
    pairs: pairs.length,
    lookalikes,
    different,
    detectionRate: lookalikes === 0 ? 0 : (lookalikes - missed.length) / lookalikes,
    falseAlarmRate: different === 0 ? 0 : falseAlarms.length / different,
    missed,
    falseAlarms,
    byCategory,
  };
}
