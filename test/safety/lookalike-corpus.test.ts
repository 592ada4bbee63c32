import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CorpusPair, isFlagged, scoreCorpus } from '../../src/core/lookalike/index.js';

const corpus = JSON.parse(
  readFileSync(new URL('../fixtures/lookalike-corpus.json', import.meta.url), 'utf8'),
) as { pairs: CorpusPair[] };

/** Floors and ceilings for the figures recorded in docs/benchmarks.md ("Look-alike detection"). */
const MIN_DETECTION = 0.95;
const MAX_FALSE_ALARMS = 0.1;

describe('look-alike corpus', () => {
  it('holds at least 200 labelled pairs of both kinds, including the issue example', () => {
    expect(corpus.pairs.length).toBeGreaterThanOrEqual(200);
    expect(corpus.pairs.filter((pair) => !pair.lookalike).length).toBeGreaterThanOrEqual(80);
    expect(corpus.pairs).toContainEqual(
      expect.objectContaining({ asked: 'superseal.cc', known: 'superseal.club', lookalike: true }),
    );
  });

  it(`detects at least ${MIN_DETECTION * 100}% of look-alikes with at most ${MAX_FALSE_ALARMS * 100}% false alarms`, () => {
    const score = scoreCorpus(corpus.pairs);
    expect(score.detectionRate, `missed: ${JSON.stringify(score.missed)}`).toBeGreaterThanOrEqual(
      MIN_DETECTION,
    );
    expect(score.falseAlarmRate, `false alarms: ${JSON.stringify(score.falseAlarms)}`).toBeLessThanOrEqual(
      MAX_FALSE_ALARMS,
    );
  });

  it('never misses a look-alike outside the "hard" category', () => {
    const missed = corpus.pairs.filter(
      (pair) => pair.lookalike && pair.category !== 'hard' && !isFlagged(pair),
    );
    expect(missed).toEqual([]);
  });
});
