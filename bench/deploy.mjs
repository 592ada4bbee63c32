#!/usr/bin/env node
// Deploy benchmark: deploys 10,000 files (~100 MB, generated on the fly) to the sandbox's edge serving side
// and reports the wall time as a ratio to `sha256sum` over the same tree, measured in the same run (target
// <= 2x); then redeploys after changing one file, asserts that exactly one file was uploaded, and reports
// that time too. The server runs in its own process (as the sandbox daemon does), so client and server
// each have a core. Usage: npm run bench:deploy [-- --files 10000 --megabytes 100]
import { execFileSync, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url);

function flag(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

/** The server half: the edge serving module over one fixed site, in a sandbox on a free port. */
async function serve() {
  const { startSandbox } = await import(new URL('sandbox/server.js', dist).href);
  const { createEdgeDeployModule } = await import(
    new URL('sandbox/providers/edge/deploy/module.js', dist).href
  );
  const site = { id: 'res_bench', name: 'bench', accountId: 'acct_bench' };
  const hosting = {
    siteForDeployToken: (token) => (token === process.env.BENCH_TOKEN ? site : undefined),
    siteById: (id) => (id === site.id ? site : undefined),
    zoneFor: () => undefined,
    replaceRecords: () => {},
    records: () => [],
    onSiteRemoved: () => {},
  };
  const sandbox = await startSandbox({
    dataDir: process.env.BENCH_DATA_DIR,
    port: 0,
    modules: [createEdgeDeployModule(hosting, { publishSecret: randomBytes(16).toString('hex') })],
  });
  process.send({ url: sandbox.url });
  // The client asks for the server's CPU time around the first deploy.
  process.on('message', (message) => {
    if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
  });
  process.on('disconnect', () => sandbox.close().then(() => process.exit(0)));
}

/** 10,000 files of varied sizes (a few large ones to exercise streaming), ~100 MB in all. */
function generateTree(root, files, megabytes) {
  const total = megabytes * 1024 * 1024;
  const large = 10;
  const largeSize = 2 * 1024 * 1024;
  const smallAverage = Math.floor((total - large * largeSize) / (files - large));
  for (let i = 0; i < files; i++) {
    const dir = join(root, `d${String(i % 100).padStart(2, '0')}`);
    if (i < 100) mkdirSync(dir, { recursive: true });
    const size =
      i < large ? largeSize : Math.max(1, Math.floor(smallAverage * (0.5 + ((i * 7919) % 1000) / 1000)));
    writeFileSync(join(dir, `f${i}.bin`), randomBytes(size));
  }
}

function timed(fn) {
  const started = performance.now();
  const value = fn();
  return value instanceof Promise
    ? value.then((result) => ({ ms: performance.now() - started, result }))
    : { ms: performance.now() - started, result: value };
}

/** CPU milliseconds (user + system) between two `process.cpuUsage()` readings. */
function cpuMs(before, after) {
  return (after.user - before.user + after.system - before.system) / 1000;
}

function serverCpu(server) {
  return new Promise((resolve) => {
    const answer = (message) => {
      if (!message.cpu) return;
      server.off('message', answer);
      resolve(message.cpu);
    };
    server.on('message', answer);
    server.send('cpu');
  });
}

function sha256sum(root) {
  // Warm the page cache first, so both sides read from memory; the second run is the baseline.
  const run = () =>
    execFileSync('sh', ['-c', 'find . -type f -print0 | xargs -0 sha256sum > /dev/null'], { cwd: root });
  run();
  return timed(run).ms;
}

async function main() {
  const files = flag('files', 10_000);
  const megabytes = flag('megabytes', 100);
  const work = mkdtempSync(join(tmpdir(), 'projects-bench-deploy-'));
  const site = join(work, 'site');
  const dataDir = join(work, 'sandbox');
  const token = `edt_${randomBytes(24).toString('base64url')}`;
  const server = fork(new URL(import.meta.url), ['--server'], {
    env: { ...process.env, BENCH_DATA_DIR: dataDir, BENCH_TOKEN: token },
  });
  try {
    const url = await new Promise((resolve, reject) => {
      server.once('message', (message) => resolve(message.url));
      server.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
    });
    generateTree(site, files, megabytes);
    const baselineMs = sha256sum(site);
    const { DeployClient } = await import(new URL('client/deploy-client.js', dist).href);
    const { deployDirectory } = await import(new URL('client/deploy.js', dist).href);
    const client = new DeployClient({ url: `${url}/providers/edge/deploy`, token });
    const serverBefore = await serverCpu(server);
    const clientBefore = process.cpuUsage();
    const first = await timed(() => deployDirectory({ dir: site, client }));
    const clientMs = cpuMs(clientBefore, process.cpuUsage());
    const serverMs = cpuMs(serverBefore, await serverCpu(server));
    if (first.result.files !== files || first.result.uploaded !== files) {
      throw new Error(
        `expected ${files} files uploaded, got ${first.result.uploaded} of ${first.result.files}`,
      );
    }
    writeFileSync(join(site, 'd42', 'f4242.bin'), randomBytes(12_345));
    const second = await timed(() => deployDirectory({ dir: site, client }));
    if (second.result.uploaded !== 1) {
      throw new Error(`the redeploy uploaded ${second.result.uploaded} files, expected exactly 1`);
    }
    const mb = (first.result.bytes / 1024 / 1024).toFixed(1);
    const ratio = first.ms / baselineMs;
    console.log(
      `Deploy, ${files} files / ${mb} MB (node ${process.version}, ${new Date().toISOString().slice(0, 10)})\n`,
    );
    console.log('| step | wall ms | ratio to `sha256sum` | target |');
    console.log('| --- | ---: | ---: | ---: |');
    console.log(`| \`sha256sum\` over the tree (baseline) | ${baselineMs.toFixed(0)} | 1.00x | |`);
    console.log(
      `| first deploy (hash, upload all, finalize) | ${first.ms.toFixed(0)} | ${ratio.toFixed(2)}x | ≤ 2x ${ratio <= 2 ? '✓' : '✗'} |`,
    );
    console.log(
      `| redeploy, one file changed (1 uploaded) | ${second.ms.toFixed(0)} | ${(second.ms / baselineMs).toFixed(2)}x | |`,
    );
    console.log(
      `\nCPU time of the first deploy: client ${clientMs.toFixed(0)} ms, server ${serverMs.toFixed(0)} ms.`,
    );
  } finally {
    server.disconnect();
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv.includes('--server')) await serve();
else await main();
