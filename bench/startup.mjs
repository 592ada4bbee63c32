#!/usr/bin/env node
// Startup benchmark: median wall time of N runs of each command, as a ratio to `node -e 0` measured in the
// same run. Usage: npm run bench:startup [-- --runs 20]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 15;
const BIN = fileURLToPath(new URL('../bin/projects', import.meta.url));
const outside = mkdtempSync(join(tmpdir(), 'projects-bench-'));
const env = { PATH: process.env.PATH, PROJECTS_HOME: outside, HOME: outside };

const cases = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'projects --version', args: [BIN, '--version'], target: 1.5 },
  { name: 'projects --help', args: [BIN, '--help'] },
  { name: 'projects status --json', args: [BIN, 'status', '--json'], target: 2.5 },
];

function timeOnce(args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: outside, env, stdio: 'ignore' });
  if (result.error) throw result.error;
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

// Interleave the cases so that machine noise spreads evenly over all of them; one warm-up round first.
for (const c of cases) timeOnce(c.args);
const samples = new Map(cases.map((c) => [c.name, []]));
for (let i = 0; i < RUNS; i++) for (const c of cases) samples.get(c.name).push(timeOnce(c.args));

const baseline = median(samples.get('node -e 0'));
console.log(
  `Startup, median of ${RUNS} runs each (node ${process.version}, ${new Date().toISOString().slice(0, 10)})\n`,
);
console.log('| command | median ms | ratio to `node -e 0` | target |');
console.log('| --- | ---: | ---: | ---: |');
for (const c of cases) {
  const ms = median(samples.get(c.name));
  const ratio = ms / baseline;
  const verdict = c.target ? `≤ ${c.target}x ${ratio <= c.target ? '✓' : '✗'}` : '';
  console.log(`| \`${c.name}\` | ${ms.toFixed(1)} | ${ratio.toFixed(2)}x | ${verdict} |`);
}
rmSync(outside, { recursive: true, force: true });
