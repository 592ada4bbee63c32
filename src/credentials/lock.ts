import { closeSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ProjectsError } from '../protocol/errors.js';

export interface LockOptions {
  /** How long to wait for another process to release the lock. */
  timeoutMs?: number;
  /** A lock older than this was left by a process that died; it is taken over. */
  staleMs?: number;
}

function tryAcquire(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o600);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function isStale(path: string, staleMs: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > staleMs;
  } catch {
    return false;
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
