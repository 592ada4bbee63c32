import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import type { SecretBackend } from './types.js';

/** Service name every keychain entry of this CLI is filed under. */
export const KEYCHAIN_SERVICE = 'projects-cli';

/**
 * The keychain is reached through `@napi-rs/keyring`, whose calls are synchronous native code. A Secret
 * Service that never answers blocks the calling thread for good: neither a worker thread (Node joins it at
 * exit) nor the async API (it connects on the main thread) can be abandoned. So every call runs in a small
 * child process that we can kill. The child serves one JSON request per line, so a command pays for one
 * spawn (~80 ms) however many entries it touches.
 */
const CHILD_SOURCE = `
const { Entry } = require(process.argv[1]);
const service = process.argv[2];
const options = process.platform === 'linux' ? { linux: { store: 'secret-service' } } : undefined;
let buffer = '';
function answer(id, result) { process.stdout.write(JSON.stringify({ id, ...result }) + '\\n'); }
function handle(line) {
  const { id, op, account, value } = JSON.parse(line);
  try {
    const entry = new Entry(service, account, options);
    if (op === 'get') answer(id, { value: entry.getPassword() });
    else if (op === 'set') { entry.setPassword(value); answer(id, { value: null }); }
    else answer(id, { value: entry.deleteCredential() });
  } catch (error) { answer(id, { error: String(error && error.message || error) }); }
}
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let newline;
  while ((newline = buffer.indexOf('\\n')) >= 0) { handle(buffer.slice(0, newline)); buffer = buffer.slice(newline + 1); }
});
`;

type Op = 'get' | 'set' | 'delete';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** A keychain call that failed or did not answer in time; the message never holds a secret. */
export class KeychainError extends Error {
  override name = 'KeychainError';
}

export interface KeychainOptions {
  /** Milliseconds each call may take before the child is killed and the call fails. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  service?: string;
}

/** The OS keychain (macOS Keychain, Windows Credential Manager, Secret Service on Linux). */
export class KeychainBackend implements SecretBackend {
  readonly kind = 'keychain' as const;
  private child: ChildProcess | undefined;
  private broken: KeychainError | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private output = '';

  constructor(private readonly options: KeychainOptions) {}

  async get(account: string): Promise<string | undefined> {
    const value = await this.call('get', account);
    return typeof value === 'string' ? value : undefined;
  }

  async set(account: string, value: string): Promise<void> {
    await this.call('set', account, value);
  }

  async delete(account: string): Promise<boolean> {
    return (await this.call('delete', account)) === true;
  }

  /** Kills the child; later calls fail. Idempotent. */
  close(): void {
    this.fail(new KeychainError('the keychain connection was closed'));
  }

  private call(op: Op, account: string, value?: string): Promise<unknown> {
    if (this.broken) return Promise.reject(this.broken);
    const child = this.child ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new KeychainError(`the keychain did not answer within ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs,
      );
      this.pending.set(id, { resolve, reject, timer });
      child.stdin?.write(`${JSON.stringify({ id, op, account, value })}\n`);
    });
  }

  private start(): ChildProcess {
    const require = createRequire(import.meta.url);
    const keyringPath = require.resolve('@napi-rs/keyring');
    // Loaded here, not at the top: node:child_process costs ~3 ms, and with the file store it is never used.
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    const child = spawn(
      process.execPath,
      ['-e', CHILD_SOURCE, keyringPath, this.options.service ?? KEYCHAIN_SERVICE],
      { stdio: ['pipe', 'pipe', 'ignore'], env: this.options.env ?? process.env, windowsHide: true },
    );
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.receive(chunk));
    child.on('error', (error) =>
      this.fail(new KeychainError(`the keychain helper failed: ${error.message}`)),
    );
    child.on('exit', () => this.fail(new KeychainError('the keychain helper exited')));
    this.child = child;
    this.updateRef();
    return child;
  }

  private receive(chunk: string): void {
    this.output += chunk;
    let newline = this.output.indexOf('\n');
    while (newline >= 0) {
      const reply = JSON.parse(this.output.slice(0, newline)) as {
        id: number;
        value?: unknown;
        error?: string;
      };
      this.output = this.output.slice(newline + 1);
      const waiter = this.pending.get(reply.id);
      if (waiter) {
        this.pending.delete(reply.id);
        clearTimeout(waiter.timer);
        if (reply.error === undefined) waiter.resolve(reply.value);
        else waiter.reject(new KeychainError(`keychain error: ${reply.error}`));
      }
      newline = this.output.indexOf('\n');
    }
    this.updateRef();
  }

  /** An idle child must never keep the CLI alive; one with calls in flight must, until they end. */
  private updateRef(): void {
    const child = this.child;
    if (!child) return;
    const streams = [child.stdin, child.stdout] as unknown as { ref?(): void; unref?(): void }[];
    if (this.pending.size > 0) {
      child.ref();
      for (const stream of streams) stream.ref?.();
    } else {
      child.unref();
      for (const stream of streams) stream.unref?.();
    }
  }

  private fail(error: KeychainError): void {
    this.broken ??= error;
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) child.kill('SIGKILL');
    for (const waiter of this.pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(this.broken);
    }
    this.pending.clear();
  }
}
