import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ALWAYS_IGNORED, createIgnoreMatcher } from '../core/ignore.js';
import type { ManifestFile } from '../protocol/deploy.js';

/** Files at or below this size are read whole (one syscall); larger ones are hashed as a stream. */
export const SMALL_FILE_BYTES = 1024 * 1024;

export interface LocalFile extends ManifestFile {
  /** Absolute path on disk. */
  absolute: string;
}

/** The ignore rules of a deploy root: the always-ignored list, its `.gitignore`, then `extra` (projects.json). */
export function loadIgnoreRules(
  root: string,
  extra: readonly string[] = [],
): (path: string, isDir: boolean) => boolean {
  const gitignore = join(root, '.gitignore');
  const user = createIgnoreMatcher([
    ...(existsSync(gitignore) ? readFileSync(gitignore, 'utf8').split(/\r?\n/) : []),
    ...extra,
  ]);
  // Applied separately so that no `!pattern` can re-include secrets or VCS data.
  const always = createIgnoreMatcher(ALWAYS_IGNORED);
  return (path, isDir) => always(path, isDir) || user(path, isDir);
}

/** Lists the files under `root` that are not ignored, as sorted POSIX paths. Symlinked directories are skipped. */
export async function listFiles(
  root: string,
  ignored: (path: string, isDir: boolean) => boolean,
): Promise<string[]> {
  const files: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(join(root, relative), { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const path = relative ? `${relative}/${entry.name}` : entry.name;
        let isDir = entry.isDirectory();
        let isFile = entry.isFile();
        if (entry.isSymbolicLink()) {
          const target = await stat(join(root, path)).catch(() => undefined);
          isFile = target?.isFile() ?? false;
          isDir = false;
        }
        if (isDir && !ignored(path, true)) await walk(path);
        else if (isFile && !ignored(path, false)) files.push(path);
      }),
    );
  };
  await walk('');
  return files.sort();
}

/** Streams a large file through SHA-256; the size is the count of bytes actually read. */
export async function hashLargeFile(absolute: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(absolute, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}
