import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { WORKER_HOST_SOURCE } from './worker-host.js';

/**
 * Runs each worker deployment in its own child process under Node's permission model
 * (`--experimental-permission`): it may read only its own deployment directory and the host program, and
 * may not write files, spawn processes, load native addons or use worker threads. Its environment holds
 * nothing of the provider's; `env` arrives over IPC. Node 20's permission model does not restrict the
 * network, so a worker can reach loopback services (that is how it uses the project's other resources).
 * Children start on first request, stay warm, and the least recently used is stopped beyond `maxWorkers`.
 */

const START_TIMEOUT_MS = 10_000;
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'];

export interface WorkerSpec {
  id: string;
  /** The materialized deployment directory (the only place the child may read). */
  dir: string;
  /** Absolute path of the ES module to run, inside `dir`. */
  main: string;
  env: Record<string, string>;
}

interface RunningWorker {
  child: ChildProcess;
  port: number;
}

export class WorkerPool {
  readonly #hostScript: string;
  readonly #log: (line: string) => void;
  readonly #maxWorkers: number;
  /** Insertion order doubles as recency: a used entry is re-inserted at the end. */
  readonly #workers = new Map<string, Promise<RunningWorker>>();

  constructor(options: { runtimeDir: string; log: (line: string) => void; maxWorkers?: number }) {
    mkdirSync(options.runtimeDir, { recursive: true });
    this.#hostScript = join(options.runtimeDir, 'worker-host.mjs');
    writeFileSync(this.#hostScript, WORKER_HOST_SOURCE);
    this.#log = options.log;
    this.#maxWorkers = options.maxWorkers ?? 16;
  }

  /** Starts the worker (if not running) and resolves once it serves; rejects with the module's failure. */
  async start(spec: WorkerSpec): Promise<RunningWorker> {
    const existing = this.#workers.get(spec.id);
    if (existing) {
      this.#workers.delete(spec.id);
      this.#workers.set(spec.id, existing);
      return existing;
    }
    const starting = this.#spawn(spec);
    this.#workers.set(spec.id, starting);
    starting.catch(() => this.#workers.delete(spec.id));
    this.#evictBeyondLimit();
    return starting;
  }

  /** Proxies one HTTP exchange to the deployment's worker. */
  async handle(spec: WorkerSpec, req: IncomingMessage, res: ServerResponse, secure: boolean): Promise<void> {
    const worker = await this.start(spec);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.includes(name)) headers[name] = value;
    }
    headers['x-forwarded-proto'] = secure ? 'https' : 'http';
    await new Promise<void>((resolve, reject) => {
      const upstream = httpRequest(
        { host: '127.0.0.1', port: worker.port, method: req.method, path: req.url, headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
          answer.pipe(res);
          answer.on('end', resolve);
          answer.on('error', reject);
        },
      );
      upstream.on('error', reject);
      req.pipe(upstream);
    });
  }

  stop(id: string): void {
    const worker = this.#workers.get(id);
    this.#workers.delete(id);
    worker?.then(({ child }) => child.kill('SIGKILL')).catch(() => {});
  }

  async close(): Promise<void> {
    const workers = [...this.#workers.values()];
    this.#workers.clear();
    await Promise.all(workers.map((worker) => worker.then(({ child }) => this.#kill(child)).catch(() => {})));
  }

  #kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  #evictBeyondLimit(): void {
    while (this.#workers.size > this.#maxWorkers) {
      const oldest = this.#workers.keys().next().value as string;
      this.stop(oldest);
    }
  }

  #spawn(spec: WorkerSpec): Promise<RunningWorker> {
    const child = spawn(
      process.execPath,
      [
        '--experimental-permission',
        `--allow-fs-read=${spec.dir}/*`,
        `--allow-fs-read=${this.#hostScript}`,
        '--no-warnings',
        '--max-old-space-size=128',
        this.#hostScript,
        spec.main,
      ],
      { cwd: spec.dir, env: {}, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
    );
    const prefix = `worker ${spec.id}: `;
    child.stdout?.on('data', (chunk: Buffer) => this.#log(prefix + chunk.toString().trimEnd()));
    child.stderr?.on('data', (chunk: Buffer) => this.#log(prefix + chunk.toString().trimEnd()));
    child.on('exit', () => {
      // A crashed worker is forgotten so the next request starts a fresh one.
      if (this.#workers.get(spec.id) === running) this.#workers.delete(spec.id);
    });
    const running: Promise<RunningWorker> = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('the worker did not start within 10 s'));
      }, START_TIMEOUT_MS);
      child.once('message', (message: { port?: number; error?: string }) => {
        clearTimeout(timer);
        if (message.port) resolve({ child, port: message.port });
        else reject(new Error(message.error ?? 'the worker failed to start'));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the worker exited during start (code ${code})`));
      });
      child.send({ env: spec.env });
    });
    return running;
  }
}
