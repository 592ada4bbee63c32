#!/usr/bin/env node
// Scores the S1 look-alike detector against the labelled corpus and prints its detection and
// false-alarm rates (the figures recorded in docs/benchmarks.md, "Look-alike detection").
// Runs against the build: `npm run bench:lookalike` builds first.
import { readFileSync } from 'node:fs';
import { scoreCorpus } from '../dist/core/lookalike/index.js';

const corpus = JSON.parse(
  readFileSync(new URL('../test/fixtures/lookalike-corpus.json', import.meta.url), 'utf8'),
);
const started = performance.now();
const score = scoreCorpus(corpus.pairs);
const elapsedMs = performance.now() - started;

const percent = (rate) => `${(rate * 100).toFixed(1)}%`;
const flagged = score.lookalikes - score.missed.length;
console.log(`pairs: ${score.pairs} (${score.lookalikes} look-alike, ${score.different} genuinely different)`);
console.log(`detection: ${percent(score.detectionRate)} (${flagged}/${score.lookalikes})`);
console.log(
  `false alarms: ${percent(score.falseAlarmRate)} (${score.falseAlarms.length}/${score.different})`,
);
console.log(`time: ${elapsedMs.toFixed(1)} ms for the whole corpus`);
console.log('\nby category (flagged/pairs):');
for (const [category, { pairs, flagged: hits }] of Object.entries(score.byCategory)) {
  console.log(`  ${category.padEnd(16)} ${hits}/${pairs}`);
}
const list = (pairs) =>
  pairs.map((pair) => `  ${pair.asked}  vs  ${pair.known}  [${pair.category}]`).join('\n');
console.log(`\nmissed look-alikes:\n${list(score.missed) || '  none'}`);
console.log(`\nfalse alarms:\n${list(score.falseAlarms) || '  none'}`);
