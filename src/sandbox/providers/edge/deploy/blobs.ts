import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MAX_FILE_BYTES } from '../../../../protocol/deploy.js';
import { ProjectsError } from '../../../../protocol/errors.js';

/**
 * Content-addressed blob store under the sandbox data dir: `<root>/<aa>/<sha256>`. A blob is written to a
 * temporary file while it is hashed and only renamed into place when its hash and size match, so a blob
 * that exists is always complete and correct — which is what lets the manifest step skip it.
 */
export class BlobStore {
  readonly #root: string;
  readonly #tmp: string;

  constructor(root: string) {
    this.#root = root;
    this.#tmp = join(root, 'tmp');
    mkdirSync(this.#tmp, { recursive: true });
    // All 256 shard directories up front, so storing a blob is a write and a rename, nothing more.
    for (let shard = 0; shard < 256; shard++)
      mkdirSync(join(root, shard.toString(16).padStart(2, '0')), { recursive: true });
  }

  path(sha256: string): string {
    return join(this.#root, sha256.slice(0, 2), sha256);
  }

  has(sha256: string): boolean {
    return existsSync(this.path(sha256));
  }

  size(sha256: string): number {
    return statSync(this.path(sha256)).size;
  }

  /**
   * Keeps `bytes` as blob `sha256` after checking that they hash to it. The hash is checked here; the
   * write and rename go through the thread pool, so a batch's files are created in parallel.
   */
  async putBytes(sha256: string, bytes: Uint8Array): Promise<void> {
    if (this.has(sha256)) return;
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) throw mismatch(sha256, actual, bytes.length);
    const temp = join(this.#tmp, `${sha256}.${randomBytes(6).toString('hex')}`);
    await writeFile(temp, bytes, { mode: 0o600 });
    await rename(temp, this.path(sha256));
  }

  #place(temp: string, sha256: string): void {
    renameSync(temp, this.path(sha256));
  }

  /** Streams `body` to disk, verifying its SHA-256 (and size when the client declared one). */
  async put(sha256: string, body: Readable, declaredSize: number | undefined): Promise<void> {
    const temp = join(this.#tmp, `${sha256}.${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        body,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            size += chunk.length;
            if (size > MAX_FILE_BYTES) {
              throw new ProjectsError('INVALID_ARGUMENT', `a file may hold at most ${MAX_FILE_BYTES} bytes`, {
                httpStatus: 413,
              });
            }
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(temp, { mode: 0o600 }),
      );
      const actual = hash.digest('hex');
      if (actual !== sha256 || (declaredSize !== undefined && declaredSize !== size)) {
        throw mismatch(sha256, actual, size);
      }
      this.#place(temp, sha256);
    } finally {
      rmSync(temp, { force: true });
    }
  }
}

function mismatch(expected: string, actual: string, size: number): ProjectsError {
  return new ProjectsError('INVALID_ARGUMENT', 'the uploaded bytes do not match their hash', {
    httpStatus: 422,
    details: { expected, actual, size },
  });
}
