import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFileLock } from '../../src/credentials/lock.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'projects-lock-'));
  path = join(dir, 'sub', 'credentials.lock');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('withFileLock', () => {
  it('lets one holder in at a time and releases the lock after a failure too', async () => {
    const events: string[] = [];
    const hold = (name: string) =>
      withFileLock(path, async () => {
        events.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, 30));
        events.push(`${name} out`);
      });
    await Promise.all([hold('a'), hold('b'), hold('c')]);
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i + 1]).toBe(events[i]!.replace(' in', ' out'));
    }
    await expect(withFileLock(path, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(path)).toBe(false);
  });

  it('gives up on a lock a live process holds, and takes over one that is too old', async () => {
    await withFileLock(path, async () => undefined);
    writeFileSync(path, `${process.pid}@${hostname()}`);
    await expect(
      withFileLock(path, async () => 'held', { timeoutMs: 100, staleMs: 60_000 }),
    ).rejects.toMatchObject({
      code: 'INTERNAL',
    });
    const old = new Date(Date.now() - 120_000);
    utimesSync(path, old, old);
    expect(await withFileLock(path, async () => 'taken over', { timeoutMs: 100, staleMs: 60_000 })).toBe(
      'taken over',
    );
  });

  it('takes over at once a fresh lock whose process on this machine is gone', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid;
    await new Promise((resolve) => child.once('exit', resolve));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${pid}@${hostname()}`);
    expect(await withFileLock(path, async () => 'taken over', { timeoutMs: 100, staleMs: 60_000 })).toBe(
      'taken over',
    );
    // The same pid on another machine (a shared home directory) is not judged from here.
    writeFileSync(path, `${pid}@another-host`);
    await expect(
      withFileLock(path, async () => 'held', { timeoutMs: 100, staleMs: 60_000 }),
    ).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
