import { randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  fsync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writevSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { MAX_BATCH_BYTES, MAX_FILE_BYTES, SHA256_PATTERN } from '../../../../protocol/deploy.js';
import { ProjectsError } from '../../../../protocol/errors.js';
import type { Db } from '../../../db.js';
import { type BlobEntry, BlobStreamParser, type IndexedBlob } from './blob-stream.js';

const fsyncAsync = promisify(fsync);

/** A pack's index as stored: `[sha256, start, size]` per blob. */
type PackIndex = readonly (readonly [string, number, number])[];

interface PackRow {
  name: string;
  blobs: string;
}

/** Where a stored blob's bytes are: a range of one pack file. */
export interface BlobLocation {
  pack: string;
  start: number;
  size: number;
}

/**
 * Content-addressed blob store of the serving side. Blobs are appended to pack files under `<root>/packs`
 * — one file per upload request, not one per blob, like git's packfiles: creating 10,000 small files cost a
 * first deploy more than everything else together. Each pack's index (hash → offset and size of each blob)
 * is one row of `deploy_packs` in the sandbox database; all of them are loaded into a map at start (about
 * 170 bytes of memory per blob), which answers every lookup.
 *
 * A pack is written to a temporary file while every blob in it is hashed, and moved into place and indexed
 * (one row) only once the whole upload arrived and every blob matched its hash. So a blob the index
 * names is always complete and verified — which is what lets the manifest step skip it — and a refused or
 * interrupted upload leaves nothing behind but a temporary file, removed at once or at the next start.
 */
export class BlobStore {
  readonly #packs: string;
  readonly #tmp: string;
  readonly #index = new Map<string, BlobLocation>();
  readonly #insertPack;
  /** Which of an upload's blobs to keep: those not stored yet (the parser keeps each hash once). */
  readonly #plan = (entries: readonly BlobEntry[]): Set<string> =>
    new Set(this.missing(entries.map((entry) => entry.sha256)));

  constructor(root: string, db: Db) {
    this.#packs = join(root, 'packs');
    this.#tmp = join(root, 'tmp');
    // Temporary packs belong to uploads that can no longer finish.
    rmSync(this.#tmp, { recursive: true, force: true });
    mkdirSync(this.#tmp, { recursive: true });
    mkdirSync(this.#packs, { recursive: true });
    this.#insertPack = db.prepare('INSERT INTO deploy_packs (name, blobs) VALUES (?, ?)');
    for (const row of db.prepare('SELECT name, blobs FROM deploy_packs').iterate() as Iterable<PackRow>) {
      this.#load(row.name, JSON.parse(row.blobs) as PackIndex);
    }
    this.#adoptLooseBlobs(root);
  }

  /** Adds a pack's blobs to the map; a blob also held by an earlier pack (two racing uploads) stays there. */
  #load(pack: string, blobs: PackIndex): void {
    for (const [sha256, start, size] of blobs) {
      if (!this.#index.has(sha256)) this.#index.set(sha256, { pack, start, size });
    }
  }

  #addPack(pack: string, blobs: PackIndex): void {
    this.#insertPack.run(pack, JSON.stringify(blobs));
    this.#load(pack, blobs);
  }

  /**
   * Blobs that earlier versions stored as loose files (`<root>/<aa>/<sha256>`, verified when written) become
   * one-blob packs, so that deployments made before packs keep being served.
   */
  #adoptLooseBlobs(root: string): void {
    const shards = readdirSync(root).filter((name) => /^[0-9a-f]{2}$/.test(name));
    for (const shard of shards) {
      for (const name of readdirSync(join(root, shard)).filter((file) => SHA256_PATTERN.test(file))) {
        const pack = `${name}.pack`;
        renameSync(join(root, shard, name), join(this.#packs, pack));
        this.#addPack(pack, [[name, 0, statSync(join(this.#packs, pack)).size]]);
      }
      rmSync(join(root, shard), { recursive: true, force: true });
    }
  }

  /** The hashes of `hashes` not stored yet, each once, in their first order. */
  missing(hashes: readonly string[]): string[] {
    return [...new Set(hashes)].filter((hash) => !this.#index.has(hash));
  }

  has(sha256: string): boolean {
    return this.#index.has(sha256);
  }

  #location(sha256: string): BlobLocation {
    const location = this.#index.get(sha256);
    if (!location) throw new ProjectsError('NOT_FOUND', `blob ${sha256} is not stored`, { httpStatus: 404 });
    return location;
  }

  /** The blob's bytes as a stream (serving). */
  stream(sha256: string): Readable {
    const { pack, start, size } = this.#location(sha256);
    if (size === 0) return Readable.from([]);
    return createReadStream(join(this.#packs, pack), { start, end: start + size - 1 });
  }

  /** The blob's bytes at once (materializing a worker's small files). */
  read(sha256: string): Buffer {
    const { pack, start, size } = this.#location(sha256);
    const bytes = Buffer.alloc(size);
    const fd = openSync(join(this.#packs, pack), 'r');
    try {
      let done = 0;
      while (done < size) {
        const read = readSync(fd, bytes, done, size - done, start + done);
        if (read === 0) throw new Error(`pack ${pack} ends inside blob ${sha256}`);
        done += read;
      }
    } finally {
      closeSync(fd);
    }
    return bytes;
  }

  /**
   * Stores one blob streamed on its own (`PUT blobs/<sha256>`). `size` is the declared length; the bytes
   * must match it and the hash.
   */
  put(sha256: string, size: number, body: Readable): Promise<number> {
    const entries = [{ sha256, size }];
    return this.#store(body, new BlobStreamParser({ plan: this.#plan, limit: MAX_FILE_BYTES, entries }));
  }

  /** Stores a batch upload (BLOB_BATCH_TYPE: an index line, then the blobs back to back); answers the count. */
  putBatch(body: Readable): Promise<number> {
    return this.#store(body, new BlobStreamParser({ plan: this.#plan, limit: MAX_BATCH_BYTES }));
  }

  /**
   * Runs an upload through `parser` into a temporary pack: each chunk's kept bytes are written as they
   * arrive (one `writev`), while the parser hashes them. Answers how many blobs the upload held.
   */
  async #store(body: Readable, parser: BlobStreamParser): Promise<number> {
    const temp = join(this.#tmp, randomBytes(12).toString('hex'));
    const fd = openSync(temp, 'w', 0o600);
    let open = true;
    try {
      // A refused upload stops being read but is not destroyed: the error answer still reaches the client.
      for await (const chunk of body.iterator({ destroyOnReturn: false })) {
        writeAll(fd, parser.push(chunk as Buffer));
      }
      const kept = parser.end();
      if (kept.length > 0) {
        // Durable before indexed: the index must never name bytes a crash could lose.
        await fsyncAsync(fd);
        closeSync(fd);
        open = false;
        this.#commit(temp, kept);
      }
      return parser.count;
    } finally {
      if (open) closeSync(fd);
      rmSync(temp, { force: true });
    }
  }

  /** Moves a complete, verified pack into place, then indexes its blobs. */
  #commit(temp: string, kept: readonly IndexedBlob[]): void {
    const pack = `${randomBytes(12).toString('hex')}.pack`;
    renameSync(temp, join(this.#packs, pack));
    this.#addPack(
      pack,
      kept.map((blob) => [blob.sha256, blob.start, blob.size]),
    );
  }
}

function writeAll(fd: number, slices: readonly Buffer[]): void {
  if (slices.length === 0) return;
  const expected = slices.reduce((sum, slice) => sum + slice.length, 0);
  // libuv retries short writes itself; a short count here is a failing disk.
  if (writevSync(fd, slices) !== expected) throw new Error('the blob store could not write a pack');
}
