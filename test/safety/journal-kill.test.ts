import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/**
 * S3 across process death: a child process runs a journaled three-step purchase (quote → charge →
 * DNS) against a local billing server and is SIGKILLed at each step and at random moments; a rerun
 * of the same command must finish with exactly one charge and report that charge. The child runs the
 * built code (`npm test` builds first).
 */
const CHILD = fileURLToPath(new URL('../fixtures/journal-child.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/client/journal-store.js', import.meta.url));

type Endpoint = 'quote' | 'charge' | 'configure';

/** One effect per new idempotency key; a repeated key gets the first answer. Can hang on purpose. */
class BillingServer {
  readonly effects: Record<Endpoint, Map<string, Record<string, string>>> = {
    quote: new Map(),
    charge: new Map(),
    configure: new Map(),
  };
  private hold: { endpoint: Endpoint; arrived: () => void } | undefined;
  private onArrival: (() => void) | undefined;
  private latencyMs = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  reset(latencyMs = 0): void {
    for (const map of Object.values(this.effects)) map.clear();
    this.hold = undefined;
    this.latencyMs = latencyMs;
  }

  /** Resolves when the next request arrives (the child is past its start-up). */
  nextArrival(): Promise<void> {
    return new Promise((resolve) => {
      this.onArrival = resolve;
    });
  }

  /** The next request to `endpoint` takes effect, then never gets its answer. */
  holdAt(endpoint: Endpoint): Promise<void> {
    return new Promise((arrived) => {
      this.hold = { endpoint, arrived };
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for await (const _chunk of req);
    this.onArrival?.();
    this.onArrival = undefined;
    const endpoint = req.url!.slice(1) as Endpoint;
    const key = String(req.headers['idempotency-key']);
    const effects = this.effects[endpoint];
    if (!effects.has(key)) effects.set(key, { [idField(endpoint)]: `${endpoint}_${effects.size + 1}` });
    if (this.hold?.endpoint === endpoint) {
      const { arrived } = this.hold;
      this.hold = undefined;
      arrived();
      return; // the effect happened; the answer never leaves
    }
    if (this.latencyMs) await new Promise((resolve) => setTimeout(resolve, Math.random() * this.latencyMs));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(effects.get(key)));
  }
}

function idField(endpoint: Endpoint): string {
  return { quote: 'quote_id', charge: 'charge_id', configure: 'zone_id' }[endpoint];
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runChild(args: string[]): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const exit = new Promise<Exit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, exit };
}

const server = new BillingServer();
let projectDir: string;

beforeAll(async () => {
  if (!existsSync(BUILT))
    throw new Error('run `npm run build` first: the child process runs the built CLI code');
  await server.start();
});
afterAll(() => server.stop());
afterEach(() => rmSync(projectDir, { recursive: true, force: true }));

function freshProject(latencyMs = 0): string {
  projectDir = mkdtempSync(join(tmpdir(), 'projects-kill-'));
  server.reset(latencyMs);
  return join(projectDir, '.projects', 'journal');
}

async function rerunToCompletion(journal: string): Promise<Record<string, unknown>> {
  const { exit } = runChild(['purchase', journal, server.url]);
  const result = await exit;
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

function assertExactlyOneCharge(outcome: Record<string, unknown>): void {
  expect(server.effects.charge.size).toBe(1);
  const [only] = server.effects.charge.values();
  expect(outcome.charge).toBe(only!.charge_id);
  expect(server.effects.configure.size).toBe(1);
}

describe('journal under SIGKILL', () => {
  it.each(['quote', 'charge', 'configure'] as const)(
    'killed while %s is in flight, a rerun finishes with exactly one charge',
    async (endpoint) => {
      const journal = freshProject();
      const held = server.holdAt(endpoint);
      const { child, exit } = runChild(['purchase', journal, server.url]);
      await held;
      child.kill('SIGKILL');
      expect((await exit).signal).toBe('SIGKILL');
      const outcome = await rerunToCompletion(journal);
      expect(outcome.resumed).toBe(true);
      assertExactlyOneCharge(outcome);
      expect(server.effects.quote.size).toBe(1);
    },
  );

  it('killed at random moments, repeatedly, still charges exactly once', async () => {
    for (let round = 0; round < 6; round++) {
      const journal = freshProject(15);
      // Kill up to three times in a row at random points, then let a rerun finish.
      for (let kill = 0; kill < 3; kill++) {
        const arrived = server.nextArrival();
        const { child, exit } = runChild(['purchase', journal, server.url]);
        // Past start-up, anywhere in the purchase: requests, journal writes, or after the end.
        void arrived.then(() => setTimeout(() => child.kill('SIGKILL'), Math.random() * 250));
        const result = await exit;
        if (result.code === 0) break;
      }
      const outcome = await rerunToCompletion(journal);
      assertExactlyOneCharge(outcome);
    }
    // Up to 24 process starts: generous on a loaded 2-core machine, still bounded.
  }, 120_000);

  it('a journal write killed half-way leaves the previous or the next version, never a torn file', async () => {
    projectDir = mkdtempSync(join(tmpdir(), 'projects-kill-'));
    const file = join(projectDir, 'journal.json');
    for (let round = 0; round < 5; round++) {
      const { child, exit } = runChild(['churn', file]);
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      setTimeout(() => child.kill('SIGKILL'), Math.random() * 50);
      expect((await exit).signal).toBe('SIGKILL');
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { version: number; tail: number };
      expect(parsed.version).toBeGreaterThanOrEqual(1);
      expect(parsed.tail).toBe(parsed.version);
    }
  });
});
