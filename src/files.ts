import { closeSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** A file's text, or undefined when there is none (yet); any other failure to read it is thrown. */
export function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Makes the entries of `dir` durable — a file just renamed into it survives a crash — by opening the
 * directory, fsyncing and closing it. Used wherever a write is "write a temp file, rename it into place".
 */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** {@link syncDirectory}, for callers that must not yield (inside a synchronous unit). */
export function syncDirectorySync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
