import { randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  fsync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { syncDirectory, syncDirectorySync } from '../../../../files.js';
import { MAX_BATCH_BYTES, MAX_FILE_BYTES, SHA256_PATTERN } from '../../../../protocol/deploy.js';
import { ProjectsError } from '../../../../protocol/errors.js';
import { type BlobEntry, BlobStreamParser, type IndexedBlob } from './blob-stream.js';
import type { PackIndex, PackRow, PackStore } from './store.js';

const fsyncAsync = promisify(fsync);

/**
 * How long a blob stays stored without any deployment naming it, after an upload stored it or a manifest
 * answer counted it as stored: the client may still create a deployment from it.
 */
export const UPLOAD_GRACE_MS = 60 * 60_000;

/** What a collection pass removed. */
export interface Collected {
  /** Distinct blobs no longer stored. */
  blobs: number;
  /** Bytes freed in pack files (including duplicate copies of live blobs). */
  bytes: number;
  packsDeleted: number;
  packsCompacted: number;
}

/** Where a stored blob's bytes are: a range of one pack file. */
export interface BlobLocation {
  pack: string;
  start: number;
  size: number;
}

export interface BlobStoreOptions {
  /** `<serving root>/blobs`: pack files under `packs/`, uploads in progress under `tmp/`. */
  root: string;
  packs: PackStore;
  now(): number;
}

/** A pack examined by a collection pass: the blobs to keep and whether the rest is worth reclaiming. */
interface PackVerdict {
  row: PackRow;
  live: PackIndex;
  deadBytes: number;
}

/**
 * Content-addressed blob store of the serving side. Blobs are appended to pack files under `<root>/packs`
 * — one file per upload request, not one per blob, like git's packfiles: creating 10,000 small files cost a
 * first deploy more than everything else together. Each pack's index (hash → offset and size of each blob)
 * is one row of `deploy_packs` in the sandbox database; all of them are loaded into a map at start (about
 * 170 bytes of memory per blob), which answers every lookup.
 *
 * A pack is written to a temporary file while every blob in it is hashed, and moved into place and indexed
 * (one row) only once the whole upload arrived, every blob matched its hash, and both the file and the
 * rename are on disk. So a blob the index names is always complete and verified — which is what lets the
 * manifest step skip it — and a refused, interrupted or crashed upload leaves at most a file no row names:
 * temporary files are removed at once or at the next start, pack files without a row by `sweepOrphans`.
 *
 * `collect` reclaims blobs nothing needs any more (see gc.ts for who decides that): a pack none of whose
 * blobs is kept is deleted, one that is at least half dead is rewritten with only its kept blobs.
 */
export class BlobStore {
  readonly #packsDir: string;
  readonly #tmp: string;
  readonly #store: PackStore;
  readonly #now: () => number;
  readonly #index = new Map<string, BlobLocation>();
  /** Every indexed pack and when it was written. */
  readonly #packs = new Map<string, number>();
  /** Packs moved into place whose index row is not written yet: an upload about to index them. */
  readonly #pending = new Set<string>();
  /** When a lookup last counted each blob as stored (a manifest answer, an upload skipping it). */
  readonly #touched = new Map<string, number>();
  /** Which of an upload's blobs to keep: those not stored yet (the parser keeps each hash once). */
  readonly #plan = (entries: readonly BlobEntry[]): Set<string> =>
    new Set(this.missing(entries.map((entry) => entry.sha256)));

  constructor(options: BlobStoreOptions) {
    this.#packsDir = join(options.root, 'packs');
    this.#tmp = join(options.root, 'tmp');
    this.#store = options.packs;
    this.#now = options.now;
    // Temporary packs belong to uploads that can no longer finish.
    rmSync(this.#tmp, { recursive: true, force: true });
    mkdirSync(this.#tmp, { recursive: true });
    mkdirSync(this.#packsDir, { recursive: true });
    for (const row of this.#store.all()) this.#load(row);
    this.#adoptLooseBlobs(options.root);
    this.sweepOrphans();
  }

  /** Adds a pack's blobs to the map; a blob also held by an earlier pack (two racing uploads) stays there. */
  #load(row: PackRow): void {
    this.#packs.set(row.name, row.createdAt);
    for (const [sha256, start, size] of row.blobs) {
      if (!this.#index.has(sha256)) this.#index.set(sha256, { pack: row.name, start, size });
    }
  }

  #addPack(row: PackRow): void {
    this.#store.insert(row);
    this.#load(row);
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
        renameSync(join(root, shard, name), join(this.#packsDir, pack));
        const size = statSync(join(this.#packsDir, pack)).size;
        this.#addPack({ name: pack, blobs: [[name, 0, size]], createdAt: this.#now() });
      }
      rmSync(join(root, shard), { recursive: true, force: true });
    }
  }

  /**
   * The hashes of `hashes` not stored yet, each once, in their first order. The others are marked as just
   * asked for: the asker may build a deployment on them, so they outlive the next collection pass.
   */
  missing(hashes: readonly string[]): string[] {
    const now = this.#now();
    return [...new Set(hashes)].filter((hash) => {
      if (!this.#index.has(hash)) return true;
      this.#touched.set(hash, now);
      return false;
    });
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
    // Opened now rather than on the first read, so that a collection pass rewriting the pack meanwhile
    // cannot pull the file away from under the stream.
    const path = join(this.#packsDir, pack);
    return createReadStream(path, { fd: openSync(path, 'r'), start, end: start + size - 1 });
  }

  /** Writes the blob to a new file at `path`, a chunk at a time (materializing a worker's files). */
  copyTo(sha256: string, path: string): void {
    const { pack, start, size } = this.#location(sha256);
    const input = openSync(join(this.#packsDir, pack), 'r');
    try {
      const output = openSync(path, 'w');
      try {
        copyRange(input, output, start, size, pack);
      } finally {
        closeSync(output);
      }
    } finally {
      closeSync(input);
    }
  }

  /**
   * Stores one blob streamed on its own (`PUT blobs/<sha256>`). `size` is the declared length; the bytes
   * must match it and the hash.
   */
  put(sha256: string, size: number, body: Readable): Promise<number> {
    const entries = [{ sha256, size }];
    return this.#storeUpload(
      body,
      new BlobStreamParser({ plan: this.#plan, limit: MAX_FILE_BYTES, entries }),
    );
  }

  /** Stores a batch upload (BLOB_BATCH_TYPE: an index line, then the blobs back to back); answers the count. */
  putBatch(body: Readable): Promise<number> {
    return this.#storeUpload(body, new BlobStreamParser({ plan: this.#plan, limit: MAX_BATCH_BYTES }));
  }

  /**
   * Runs an upload through `parser` into a temporary pack: each chunk's kept bytes are written as they
   * arrive (one `writev`), while the parser hashes them. Answers how many blobs the upload held.
   */
  async #storeUpload(body: Readable, parser: BlobStreamParser): Promise<number> {
    const temp = this.#tempPath();
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
        await this.#commit(temp, kept);
      }
      return parser.count;
    } finally {
      if (open) closeSync(fd);
      rmSync(temp, { force: true });
    }
  }

  /**
   * Moves a complete, verified pack into place, makes the rename durable, then indexes its blobs. Until the
   * row is written the pack is `#pending`, so that an orphan sweep meanwhile leaves it alone.
   */
  async #commit(temp: string, kept: readonly IndexedBlob[]): Promise<void> {
    const pack = newPackName();
    renameSync(temp, join(this.#packsDir, pack));
    this.#pending.add(pack);
    try {
      await syncDirectory(this.#packsDir);
      this.#addPack({
        name: pack,
        blobs: kept.map((blob) => [blob.sha256, blob.start, blob.size]),
        createdAt: this.#now(),
      });
    } finally {
      this.#pending.delete(pack);
    }
  }

  #tempPath(): string {
    return join(this.#tmp, randomBytes(12).toString('hex'));
  }

  /**
   * Removes the pack files no index row names — left by a crash between a pack's rename and its row, or
   * between a collection pass's commit and its deletions — except those an upload is about to index.
   * Answers how many went.
   */
  sweepOrphans(): number {
    const orphans = readdirSync(this.#packsDir).filter(
      (name) => !this.#packs.has(name) && !this.#pending.has(name),
    );
    for (const name of orphans) rmSync(join(this.#packsDir, name), { recursive: true, force: true });
    return orphans.length;
  }

  /**
   * Reclaims the blobs not in `referenced` that no upload or manifest answer asked for within the grace
   * period. Packs written within it are left whole. A pack keeping none of its blobs is deleted; one at
   * least half of whose bytes are reclaimable is rewritten with the kept blobs only; the rest stay as they
   * are until more of them dies. The index change is committed (durably) before any old file is deleted, so
   * a crash leaves at worst orphans for the next sweep. Synchronous: no request sees a half-done pass.
   */
  collect(referenced: ReadonlySet<string>): Collected {
    const cutoff = this.#now() - UPLOAD_GRACE_MS;
    for (const [hash, at] of this.#touched) if (at < cutoff) this.#touched.delete(hash);
    const keeps = (sha256: string, pack: string): boolean =>
      this.#index.get(sha256)?.pack === pack && (referenced.has(sha256) || this.#touched.has(sha256));
    const verdicts: PackVerdict[] = [];
    for (const row of this.#store.all(cutoff)) {
      const live = row.blobs.filter(([sha256]) => keeps(sha256, row.name));
      if (live.length === row.blobs.length) continue;
      verdicts.push({ row, live, deadBytes: sumSizes(row.blobs) - sumSizes(live) });
    }
    const doomed = verdicts.filter(
      (verdict) => verdict.live.length === 0 || verdict.deadBytes * 2 >= sumSizes(verdict.row.blobs),
    );
    if (doomed.length === 0) return { blobs: 0, bytes: 0, packsDeleted: 0, packsCompacted: 0 };
    const rewritten = doomed
      .filter((verdict) => verdict.live.length > 0)
      .map((verdict) => this.#rewrite(verdict));
    if (rewritten.length > 0) syncDirectorySync(this.#packsDir);
    this.#store.replace(
      doomed.map((verdict) => verdict.row.name),
      rewritten,
    );
    return this.#forget(doomed, rewritten);
  }

  /** Writes a verdict's kept blobs into a new pack in place (not indexed yet); answers its row. */
  #rewrite({ row, live }: PackVerdict): PackRow {
    const temp = this.#tempPath();
    const input = openSync(join(this.#packsDir, row.name), 'r');
    const output = openSync(temp, 'w', 0o600);
    const blobs: [string, number, number][] = [];
    try {
      let offset = 0;
      for (const [sha256, start, size] of live) {
        copyRange(input, output, start, size, row.name);
        blobs.push([sha256, offset, size]);
        offset += size;
      }
      fsyncSync(output);
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    } finally {
      closeSync(input);
      closeSync(output);
    }
    const name = newPackName();
    renameSync(temp, join(this.#packsDir, name));
    // The new pack keeps the old one's age: rewriting it is no reason to protect its blobs anew.
    return { name, blobs, createdAt: row.createdAt };
  }

  /** Updates the map and deletes the old files once `collect` committed the index change. */
  #forget(doomed: readonly PackVerdict[], rewritten: readonly PackRow[]): Collected {
    let blobs = 0;
    let bytes = 0;
    for (const { row, live, deadBytes } of doomed) {
      const kept = new Set(live.map(([sha256]) => sha256));
      for (const [sha256] of row.blobs) {
        if (this.#index.get(sha256)?.pack !== row.name) continue;
        this.#index.delete(sha256);
        if (!kept.has(sha256)) blobs++;
      }
      this.#packs.delete(row.name);
      rmSync(join(this.#packsDir, row.name), { force: true });
      bytes += deadBytes;
    }
    for (const row of rewritten) this.#load(row);
    return { blobs, bytes, packsDeleted: doomed.length - rewritten.length, packsCompacted: rewritten.length };
  }
}

function newPackName(): string {
  return `${randomBytes(12).toString('hex')}.pack`;
}

function sumSizes(blobs: PackIndex): number {
  return blobs.reduce((sum, [, , size]) => sum + size, 0);
}

/** Fills `bytes` from `fd` at `start`. */
function readRange(fd: number, bytes: Buffer, start: number, pack: string): void {
  let done = 0;
  while (done < bytes.length) {
    const read = readSync(fd, bytes, done, bytes.length - done, start + done);
    if (read === 0) throw new Error(`pack ${pack} ends before byte ${start + bytes.length}`);
    done += read;
  }
}

const COPY_CHUNK_BYTES = 1024 * 1024;

/** Appends `size` bytes of `input` at `start` to `output`, a chunk at a time. */
function copyRange(input: number, output: number, start: number, size: number, pack: string): void {
  const chunk = Buffer.alloc(Math.min(size, COPY_CHUNK_BYTES));
  for (let done = 0; done < size; ) {
    const part = chunk.subarray(0, Math.min(chunk.length, size - done));
    readRange(input, part, start + done, pack);
    if (writeSync(output, part) !== part.length) throw new Error('the blob store could not write a pack');
    done += part.length;
  }
}

function writeAll(fd: number, slices: readonly Buffer[]): void {
  if (slices.length === 0) return;
  const expected = slices.reduce((sum, slice) => sum + slice.length, 0);
  // libuv retries short writes itself; a short count here is a failing disk.
  if (writevSync(fd, slices) !== expected) throw new Error('the blob store could not write a pack');
}
