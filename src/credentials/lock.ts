import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { ProjectsError } from '../protocol/errors.js';

export interface LockOptions {
  /** How long to wait for another process to release the lock. */
  timeoutMs?: number;
  /** A lock older than this was left by a process that died, whoever it names; it is taken over. */
  staleMs?: number;
}

/** Who holds a lock: `<pid>@<host>`, so that only a process on this machine is judged alive or dead. */
function holder(): string {
  return `${process.pid}@${hostname()}`;
}

function tryAcquire(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o600);
    writeSync(fd, holder());
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * A lock is stale when the process it names on this machine is gone (a command killed mid-refresh must
 * not hold up the next one for the whole `staleMs`), or when it is older than `staleMs` in any case.
 */
function isStale(path: string, staleMs: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > staleMs || holderIsGone(readFileSync(path, 'utf8'));
  } catch {
    return false;
  }
}

function holderIsGone(content: string): boolean {
  const [pid, host] = content.split('@');
  if (host !== hostname() || !/^\d+$/.test(pid ?? '')) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Runs `action` while holding an exclusive lock file, across processes. Used around a token refresh: with
 * rotating refresh tokens, two commands refreshing at once would present the same refresh token twice,
 * which the orchestrator treats as theft and answers by revoking the whole login.
 */
export async function withFileLock<T>(
  path: string,
  action: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  while (!tryAcquire(path)) {
    if (isStale(path, options.staleMs ?? 30_000)) rmSync(path, { force: true });
    else if (Date.now() > deadline) {
      throw new ProjectsError('INTERNAL', `another projects command holds ${path}; try again`);
    } else await new Promise((resolve) => setTimeout(resolve, 25));
  }
  try {
    return await action();
  } finally {
    rmSync(path, { force: true });
  }
}
