import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createApprovedToken } from '../helpers/api-token.js';
import { BIN } from '../helpers/cli.js';
import { FaultProxy } from './fault-proxy.js';

/**
 * Issue 8 item 7: processes killed mid-purchase. The sandbox runs as a process of its own, the CLI is
 * the built binary, and a fault proxy between the orchestrator and the edge provider holds the
 * resource request — before the provider acts, or after it charged with the answer not yet back.
 * Then the CLI, or the whole sandbox, is SIGKILLed. Rerunning the
 * same command must finish the purchase with exactly one charge and consistent state.
 */
const SANDBOX_CHILD = fileURLToPath(new URL('../fixtures/sandbox-child.mjs', import.meta.url));
const DOMAIN = 'killproof.dev';

interface Started {
  child: ChildProcess;
  url: string;
  human: string;
  edge: string;
}

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  json: {
    ok: boolean;
    data?: Record<string, unknown>;
    error?: { code: string; details?: Record<string, unknown> };
  };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function startSandbox(dataDir: string, port: number, proxyUrl: string): Promise<Started> {
  const child = spawn(process.execPath, [SANDBOX_CHILD, dataDir, String(port), proxyUrl], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, PROJECTS_PROVIDER_TIMEOUT_MS: '1500' },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk;
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve({ child, ...(JSON.parse(line) as Omit<Started, 'child'>) });
    });
    child.on('exit', (code) => reject(new Error(`sandbox exited (${code}) before listening: ${err}`)));
  });
}

function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function runCli(
  project: string,
  env: Record<string, string>,
): { child: ChildProcess; done: Promise<CliRun> } {
  const args = ['provision', 'edge/registrar:domain', '--name', DOMAIN, '--json', '--non-interactive'];
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: project,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  const done = new Promise<CliRun>((resolve) => {
    child.on('close', (code, signal) =>
      resolve({ code, signal, json: stdout ? JSON.parse(stdout) : { ok: false } }),
    );
  });
  return { child, done };
}

async function api<T>(url: string, token: string, method: 'GET' | 'POST', path: string, body?: unknown) {
  const response = await request(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.statusCode, body: (await response.body.json()) as T };
}

/** Counts in the sandbox database, read from outside the (possibly dead) sandbox process. */
function ledger(dataDir: string, projectId: string) {
  const db = new Database(join(dataDir, 'sandbox.db'), { readonly: true });
  try {
    const count = (sql: string) => (db.prepare(sql).get(projectId) as { n: number }).n;
    return {
      captures: count('SELECT COUNT(*) AS n FROM money_captures WHERE project_id = ?'),
      resources: count(
        "SELECT COUNT(*) AS n FROM runs_resources WHERE project_id = ? AND status != 'removed'",
      ),
    };
  } finally {
    db.close();
  }
}

/** `after`: the provider has charged when the victim dies (else it has not seen the request yet). */
async function scenario(victim: 'cli' | 'sandbox', after: boolean): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'projects-kill-purchase-'));
  const dataDir = join(root, 'sandbox');
  const port = await freePort();
  const proxy = await new FaultProxy(`http://127.0.0.1:${port}/providers/edge/`).start();
  let sandbox = await startSandbox(dataDir, port, proxy.url);
  cleanup.push(async () => {
    await killAndWait(sandbox.child);
    await proxy.stop();
    rmSync(root, { recursive: true, force: true });
  });
  const project = await api<{ id: string }>(sandbox.url, sandbox.human, 'POST', '/v1/projects', {
    name: 'kill',
  });
  const token = await createApprovedToken(sandbox.url, sandbox.human, {
    name: 'agent',
    scopes: ['read', 'provision:free', 'provision:paid'],
    expires_in: 3600,
  });
  const projectDir = join(root, 'repo');
  mkdirSync(projectDir);
  writeFileSync(
    join(projectDir, 'projects.json'),
    JSON.stringify({ project_id: project.body.id, orchestrator: sandbox.url }),
  );
  const env = {
    PROJECTS_HOME: join(root, 'home'),
    PROJECTS_TOKEN: token.token,
    PROJECTS_ORCHESTRATOR_URL: sandbox.url,
  };

  // The agent asks; the purchase is irreversible, so a human approves it first.
  const gated = await runCli(projectDir, env).done;
  expect(gated.json.error?.code, JSON.stringify(gated.json)).toBe('APPROVAL_REQUIRED');
  expect(gated.code).toBe(4);
  const approvalId = String(gated.json.error?.details?.approval_id);
  const approval = await api<{ confirmation: string | null }>(
    sandbox.url,
    sandbox.human,
    'GET',
    `/v1/approvals/${approvalId}`,
  );
  await api(sandbox.url, sandbox.human, 'POST', `/v1/approvals/${approvalId}/approve`, {
    confirmation: approval.body.confirmation,
  });

  // The rerun is held at the resource request, and the victim dies there.
  proxy.inject('provisioning/resources', { kind: 'hold', after }, 1);
  const held = proxy.nextHold();
  const interrupted = runCli(projectDir, env);
  await held;
  let final: CliRun;
  if (victim === 'cli') {
    await killAndWait(interrupted.child);
    final = await rerunUntilDone(projectDir, env);
  } else {
    await killAndWait(sandbox.child);
    const died = await interrupted.done;
    expect(died.code, JSON.stringify(died.json)).toBe(8);
    expect(died.json.error?.code).toBe('ORCHESTRATOR_UNAVAILABLE');
    // Started again at once, on the same clock: the dead process's in-progress claims are no longer
    // anyone's, so the very first rerun takes them over and finishes (no "still in progress" wait).
    sandbox = await startSandbox(dataDir, port, proxy.url);
    final = await runCli(projectDir, env).done;
  }
  expect(final.code, JSON.stringify(final.json)).toBe(0);
  expect(final.json.data).toMatchObject({ resource: { name: DOMAIN } });
  expect(ledger(dataDir, project.body.id)).toEqual({ captures: 1, resources: 1 });
  const audit = await api<{ ok: boolean }>(sandbox.url, sandbox.human, 'GET', '/v1/audit/verify');
  expect(audit.body.ok).toBe(true);
}

/**
 * After the CLI died the sandbox lives on, still waiting for the provider: a rerun meanwhile is told the
 * first is in progress and when to come back. Reruns until one finishes.
 */
async function rerunUntilDone(projectDir: string, env: Record<string, string>): Promise<CliRun> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const run = await runCli(projectDir, env).done;
    if (run.code === 0 || Date.now() > deadline) return run;
    expect(['IDEMPOTENCY_CONFLICT', 'PROVIDER_UNAVAILABLE'], JSON.stringify(run.json)).toContain(
      run.json.error?.code,
    );
    const wait = Number(run.json.error?.details?.retry_after ?? 1) * 1000;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

// Each scenario starts sandbox and CLI processes several times over; give a loaded machine room.
describe('killed mid-purchase, a rerun finishes exactly once', { timeout: 120_000 }, () => {
  // The steps where money is at stake (a kill while quoting risks nothing), each process once where it
  // matters most; every scenario starts a sandbox process or two, so the list stays short.
  it('the CLI killed after the provider charged', () => scenario('cli', true));
  it('the sandbox killed before the provider acted', () => scenario('sandbox', false));
  it('the sandbox killed after the provider charged', () => scenario('sandbox', true));
});
