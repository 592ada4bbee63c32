#!/usr/bin/env node
// Startup benchmark: median wall time of N runs of each command, as a ratio to `node -e 0` measured in the
// same run. Usage: npm run bench:startup [-- --runs 20]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 15;
const BIN = fileURLToPath(new URL('../bin/projects', import.meta.url));
const outside = mkdtempSync(join(tmpdir(), 'projects-bench-'));
const env = { PATH: process.env.PATH, PROJECTS_HOME: outside, HOME: outside };
const whoami = await signedInWithFileStore();
const sandbox = startSandbox();

const cases = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'projects --version', args: [BIN, '--version'], target: 1.5 },
  { name: 'projects --help', args: [BIN, '--help'] },
  { name: 'projects status --json', args: [BIN, 'status', '--json'], target: 2.5 },
  { name: 'projects whoami --json (file store)', args: [BIN, 'whoami', '--json'], env: whoami.env },
  // Against a running sandbox: commands that load the protocol's zod schemas, and the health checks.
  { name: 'projects catalog --json (sandbox)', args: [BIN, 'catalog', '--json'], env: sandbox.env },
  { name: 'projects sandbox status --json', args: [BIN, 'sandbox', 'status', '--json'], env: sandbox.env },
];

/** A sandbox of its own, started by the CLI as a user starts it; stopped at the end. */
function startSandbox() {
  const home = mkdtempSync(join(tmpdir(), 'projects-bench-sandbox-'));
  const sandboxEnv = { ...env, PROJECTS_HOME: home, PROJECTS_CREDENTIAL_STORE: 'file' };
  const started = spawnSync(process.execPath, [BIN, 'sandbox', 'start', '--port', '0', '--json'], {
    env: sandboxEnv,
    encoding: 'utf8',
  });
  if (started.status !== 0) throw new Error(`sandbox start failed: ${started.stdout}${started.stderr}`);
  const stop = () => {
    spawnSync(process.execPath, [BIN, 'sandbox', 'stop'], { env: sandboxEnv, stdio: 'ignore' });
    rmSync(home, { recursive: true, force: true });
  };
  return { env: sandboxEnv, stop };
}

/**
 * `whoami` with a login in the encrypted file store: the store is written through the built CLI's own
 * module, and `GET /v1/me` is answered by a minimal server in a child process (the sandbox would need a
 * browser sign-in first; the figure measures the CLI, not the server).
 */
async function signedInWithFileStore() {
  const server = spawn(
    process.execPath,
    [
      '-e',
      `const me = { user: { id: 'usr_bench', email: 'bench@example.test' }, kind: 'human', scopes: ['read'],
         credential: { type: 'oauth', id: 'grt_bench', expires_at: null } };
       const server = require('node:http').createServer((req, res) => res.end(JSON.stringify(me)));
       server.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + server.address().port));`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise((resolve) =>
    server.stdout.once('data', (chunk) => resolve(String(chunk).trim())),
  );
  const home = mkdtempSync(join(tmpdir(), 'projects-bench-whoami-'));
  const whoamiEnv = {
    ...env,
    PROJECTS_HOME: home,
    PROJECTS_CREDENTIAL_STORE: 'file',
    PROJECTS_ORCHESTRATOR_URL: url,
  };
  const { openCredentialStore } = await import('../dist/credentials/store.js');
  const store = await openCredentialStore({ env: whoamiEnv });
  await store.saveLogin({
    orchestrator: url,
    accessToken: 'pat_BenchAccessToken0123456789abc',
    scopes: ['read'],
    savedAt: 0,
  });
  const close = () => {
    server.kill();
    rmSync(home, { recursive: true, force: true });
  };
  return { env: whoamiEnv, close };
}

function timeOnce(args, caseEnv) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: outside, env: caseEnv ?? env, stdio: 'ignore' });
  if (result.error) throw result.error;
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

try {
  // Interleave the cases so that machine noise spreads evenly over all of them; one warm-up round first.
  for (const c of cases) timeOnce(c.args, c.env);
  const samples = new Map(cases.map((c) => [c.name, []]));
  for (let i = 0; i < RUNS; i++) for (const c of cases) samples.get(c.name).push(timeOnce(c.args, c.env));

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
  const whoamiRatio =
    median(samples.get('projects whoami --json (file store)')) / median(samples.get('projects --version'));
  console.log(
    `\n\`projects whoami\` (file store) / \`projects --version\`: ${whoamiRatio.toFixed(2)}x (target < 2x ${whoamiRatio < 2 ? '✓' : '✗'})`,
  );
} finally {
  // A failed case must not leave the sandbox running or the homes behind.
  whoami.close();
  sandbox.stop();
  rmSync(outside, { recursive: true, force: true });
}
