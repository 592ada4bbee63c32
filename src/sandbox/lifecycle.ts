import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { send } from '../client/transport.js';
import { packageRoot } from '../package-root.js';
import { ProjectsError } from '../protocol/errors.js';
import type { SandboxUserInput } from './orchestrator/identity/users.js';

/**
 * The sandbox's lifecycle as `projects sandbox start|stop|status|reset` drive it. Everything lives in one
 * directory (`resolvePaths().sandboxDir`): `sandbox.db`, `state.json` (written by the running server),
 * `sandbox.log`. Heavy modules (Fastify, SQLite, the modules) are imported only where needed, so that
 * `status` and `stop` stay light.
 */
export const DEFAULT_SANDBOX_PORT = 4780;

/** What a running sandbox publishes in `<sandboxDir>/state.json`. */
export interface SandboxState {
  pid: number;
  url: string;
  startedAt: string;
  providers: { id: string; url: string }[];
  /** Extra listeners published by modules (e.g. `dns` → `127.0.0.1:5353`). */
  endpoints: Record<string, string>;
}

const STATE_FILE = 'state.json';
const LOG_FILE = 'sandbox.log';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const HEALTH_TIMEOUT_MS = 2_000;

export function readState(sandboxDir: string): SandboxState | undefined {
  try {
    return JSON.parse(readFileSync(join(sandboxDir, STATE_FILE), 'utf8')) as SandboxState;
  } catch {
    return undefined;
  }
}

function writeState(sandboxDir: string, state: SandboxState): void {
  // Written to a temp file and renamed, so a reader never sees half a file.
  const temp = join(sandboxDir, `${STATE_FILE}.${process.pid}.tmp`);
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temp, join(sandboxDir, STATE_FILE));
}

function removeState(sandboxDir: string, pid: number): void {
  if (readState(sandboxDir)?.pid === pid) rmSync(join(sandboxDir, STATE_FILE), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function pollUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Whether a health check answers 2xx. Through the CLI's transport, not `fetch` (see send), and without the
 * protocol's zod schemas: loading zod would cost `sandbox status` more than everything else it does.
 */
async function healthy(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  try {
    const { status } = await send(new URL(url), {
      method: 'GET',
      headers,
      timeoutMs: HEALTH_TIMEOUT_MS,
      deadlineMs: HEALTH_TIMEOUT_MS,
    });
    return status >= 200 && status < 300;
  } catch {
    return false;
  }
}

/** The running sandbox described by state.json, if its process is alive and answers. */
async function runningState(sandboxDir: string): Promise<SandboxState | undefined> {
  const state = readState(sandboxDir);
  if (!state || !isAlive(state.pid)) return undefined;
  return (await healthy(`${state.url}/v1/health`)) ? state : undefined;
}

export interface ServeOptions {
  sandboxDir: string;
  port: number;
  log?: (line: string) => void;
}

/**
 * Runs the sandbox in this process (the daemon, or `start --foreground`): mounts every module, listens on
 * 127.0.0.1, publishes state.json. `close` stops it and withdraws state.json.
 */
export async function serveSandbox(
  options: ServeOptions,
): Promise<{ state: SandboxState; close(): Promise<void> }> {
  const [{ loadSandbox }, { startSandbox }] = await Promise.all([
    import('./modules.js'),
    import('./server.js'),
  ]);
  mkdirSync(options.sandboxDir, { recursive: true });
  const { modules, providers } = await loadSandbox({ dataDir: options.sandboxDir });
  const running = await startSandbox({
    dataDir: options.sandboxDir,
    port: options.port,
    modules,
    log: options.log ?? (() => {}),
  });
  const state: SandboxState = {
    pid: process.pid,
    url: running.url,
    startedAt: new Date().toISOString(),
    providers: providers.map((provider) => ({ id: provider.id, url: `${running.url}${provider.prefix}/` })),
    endpoints: Object.fromEntries(running.context.endpoints),
  };
  writeState(options.sandboxDir, state);
  return {
    state,
    async close() {
      removeState(options.sandboxDir, process.pid);
      await running.close();
    },
  };
}

/**
 * Creates the database's tables and the sandbox's human before the server starts, in the calling
 * process, so that a generated password is shown to whoever ran `start` — and never reaches the log.
 */
export async function prepareSandbox(
  sandboxDir: string,
  user: SandboxUserInput,
): Promise<{ email: string; password?: string | undefined; created: boolean }> {
  const [
    { migrate, openDatabase, sandboxDatabasePath },
    { IDENTITY_MIGRATIONS },
    { sqliteStorage },
    { ensureSandboxUser },
  ] = await Promise.all([
    import('./db.js'),
    import('./orchestrator/storage/sqlite/migrations.js'),
    import('./orchestrator/storage/sqlite/index.js'),
    import('./orchestrator/identity/users.js'),
  ]);
  mkdirSync(sandboxDir, { recursive: true });
  const db = openDatabase(sandboxDatabasePath(sandboxDir));
  try {
    // Same namespace as the identity module, so the server later finds these migrations applied.
    migrate(db, 'orchestrator:identity', IDENTITY_MIGRATIONS);
    const result = await ensureSandboxUser(sqliteStorage(db), user);
    return { email: result.user.email, password: result.generatedPassword, created: result.created };
  } finally {
    db.close();
  }
}

export interface StartOptions {
  sandboxDir: string;
  port?: number | undefined;
  user?: SandboxUserInput | undefined;
  /** The environment handed to the daemon (the caller's, minus anything secret). */
  env?: NodeJS.ProcessEnv | undefined;
}

export interface StartResult {
  state: SandboxState;
  alreadyRunning: boolean;
  /** Set when this start created the human with a generated password: show it once, then forget it. */
  generatedUser?: { email: string; password: string };
}

function logTail(sandboxDir: string): string {
  try {
    return readFileSync(join(sandboxDir, LOG_FILE), 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}

/**
 * Starts the sandbox as a detached daemon and waits until it answers; idempotent — a running sandbox is
 * left alone and described. State (the database) survives stop/start.
 */
export async function startSandboxDaemon(options: StartOptions): Promise<StartResult> {
  const user = await prepareSandbox(options.sandboxDir, options.user ?? {});
  const generatedUser = user.password ? { email: user.email, password: user.password } : undefined;
  const existing = await runningState(options.sandboxDir);
  if (existing) return { state: existing, alreadyRunning: true, ...(generatedUser ? { generatedUser } : {}) };

  const log = openSync(join(options.sandboxDir, LOG_FILE), 'a', 0o600);
  // The built daemon, wherever this module runs from (tsc's dist/, the CLI bundle, or src/ under tests).
  const daemon = join(packageRoot(), 'dist', 'sandbox', 'daemon.js');
  const port = String(options.port ?? DEFAULT_SANDBOX_PORT);
  const child = spawn(process.execPath, [daemon, '--dir', options.sandboxDir, '--port', port], {
    detached: true,
    stdio: ['ignore', log, log],
    env: options.env ?? process.env,
  });
  closeSync(log);
  let exitCode: number | null = null;
  child.on('exit', (code) => {
    exitCode = code ?? 1;
  });
  child.unref();
  try {
    const state = await pollUntil('the sandbox to answer', START_TIMEOUT_MS, async () => {
      if (exitCode !== null) throw new Error(`the sandbox exited with code ${exitCode}`);
      const written = readState(options.sandboxDir);
      if (!written || written.pid !== child.pid) return undefined;
      return (await healthy(`${written.url}/v1/health`)) ? written : undefined;
    });
    return { state, alreadyRunning: false, ...(generatedUser ? { generatedUser } : {}) };
  } catch (error) {
    if (child.pid !== undefined && isAlive(child.pid)) process.kill(child.pid, 'SIGTERM');
    throw new ProjectsError(
      'ORCHESTRATOR_UNAVAILABLE',
      `the sandbox did not start: ${(error as Error).message}`,
      {
        details: { log: join(options.sandboxDir, LOG_FILE), tail: logTail(options.sandboxDir) },
      },
    );
  }
}

/** Stops a running sandbox (SIGTERM, then SIGKILL after a grace period). Its state stays on disk. */
export async function stopSandbox(sandboxDir: string): Promise<{ wasRunning: boolean; pid?: number }> {
  const state = readState(sandboxDir);
  if (!state || !isAlive(state.pid)) {
    if (state) removeState(sandboxDir, state.pid);
    return { wasRunning: false };
  }
  process.kill(state.pid, 'SIGTERM');
  try {
    await pollUntil('the sandbox to stop', STOP_TIMEOUT_MS, async () =>
      isAlive(state.pid) ? undefined : true,
    );
  } catch {
    process.kill(state.pid, 'SIGKILL');
  }
  removeState(sandboxDir, state.pid);
  return { wasRunning: true, pid: state.pid };
}

export interface SandboxStatus {
  running: boolean;
  pid: number | null;
  dataDir: string;
  orchestrator: { url: string; healthy: boolean } | null;
  providers: { id: string; url: string; healthy: boolean }[];
  endpoints: Record<string, string>;
}

/** Provider health checks are signed like any orchestrator call: their API accepts nothing else. */
async function providerSecrets(sandboxDir: string): Promise<Map<string, string>> {
  const [{ sandboxDatabasePath }, { readProviderSecrets }, { openSecretBox }, { default: Database }] =
    await Promise.all([
      import('./db.js'),
      import('./provider-secrets.js'),
      import('./secret-box.js'),
      import('better-sqlite3'),
    ]);
  const db = new Database(sandboxDatabasePath(sandboxDir), { readonly: true, fileMustExist: true });
  try {
    const providers = readProviderSecrets(db, openSecretBox(sandboxDir));
    return new Map(providers.map((provider) => [provider.id, provider.signingSecret]));
  } finally {
    db.close();
  }
}

export async function sandboxStatus(sandboxDir: string): Promise<SandboxStatus> {
  const state = readState(sandboxDir);
  if (!state || !isAlive(state.pid)) {
    return {
      running: false,
      pid: null,
      dataDir: sandboxDir,
      orchestrator: null,
      providers: [],
      endpoints: {},
    };
  }
  const [{ signatureHeader, SIGNATURE_HEADER, ORCHESTRATOR_HEADER }, secrets] = await Promise.all([
    import('../protocol/signing.js'),
    providerSecrets(sandboxDir),
  ]);
  const [orchestratorHealthy, ...providerHealth] = await Promise.all([
    healthy(`${state.url}/v1/health`),
    ...state.providers.map((provider) =>
      // Signed as the orchestrator signs: a provider refuses unsigned calls, health included.
      healthy(`${provider.url}provisioning/health`, {
        [SIGNATURE_HEADER]: signatureHeader(secrets.get(provider.id) ?? '', ''),
        [ORCHESTRATOR_HEADER]: 'sandbox',
      }),
    ),
  ]);
  return {
    running: true,
    pid: state.pid,
    dataDir: sandboxDir,
    orchestrator: { url: state.url, healthy: orchestratorHealthy ?? false },
    providers: state.providers.map((provider, index) => ({
      ...provider,
      healthy: providerHealth[index] ?? false,
    })),
    endpoints: state.endpoints,
  };
}

/** Stops the sandbox and deletes all of its state: users, logins, cards, ledger, providers' data. */
export async function resetSandbox(sandboxDir: string): Promise<{ wasRunning: boolean }> {
  const { wasRunning } = await stopSandbox(sandboxDir);
  rmSync(sandboxDir, { recursive: true, force: true });
  return { wasRunning };
}
