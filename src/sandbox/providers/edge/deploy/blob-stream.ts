import { createHash, type Hash, hash } from 'node:crypto';
import { BlobBatchIndex } from '../../../../protocol/deploy.js';
import { ProjectsError } from '../../../../protocol/errors.js';

/** A blob an upload announces. */
export interface BlobEntry {
  sha256: string;
  size: number;
}

/** A blob kept from an upload, verified, at `start` in the pack written from it. */
export interface IndexedBlob extends BlobEntry {
  start: number;
}

/** The longest index line accepted: 10,000 entries of about 90 bytes each, with room to spare. */
const MAX_INDEX_LINE_BYTES = 2 * 1024 * 1024;

function invalid(message: string, details: Record<string, unknown> = {}): ProjectsError {
  return new ProjectsError('INVALID_ARGUMENT', message, { httpStatus: 400, details });
}

/**
 * Splits an upload into its blobs as the bytes arrive and verifies each against its hash, so that hashing
 * overlaps with receiving and nothing is buffered beyond one chunk. An upload is either a batch
 * (BLOB_BATCH_TYPE: a JSON index line, then the blobs back to back) or, when `entries` is given, the bytes
 * of those blobs alone (a single `PUT blobs/<sha256>`).
 *
 * `push` answers the slices of the chunk to keep — the bytes of blobs `plan` wants, which are the only ones
 * hashed — and throws on the first blob that does not match its hash (CONTENT_MISMATCH) or on bytes beyond
 * the index; `end` throws when the upload stopped short of it, and answers the kept blobs.
 */
export interface ParserOptions {
  /** Which of the announced blobs to keep (hash and write): those not stored yet. */
  plan(entries: readonly BlobEntry[]): Set<string>;
  /** The most bytes the blobs may hold together. */
  limit: number;
  /** The blobs of an upload without an index line. */
  entries?: readonly BlobEntry[];
}

export class BlobStreamParser {
  readonly #plan: (entries: readonly BlobEntry[]) => Set<string>;
  readonly #limit: number;
  #head: Buffer[] = [];
  #headBytes = 0;
  #entries: BlobEntry[] | undefined;
  #wanted = new Set<string>();
  #current = 0;
  #remaining = 0;
  #keeping = false;
  #hash: Hash | undefined;
  #packBytes = 0;
  readonly #kept: IndexedBlob[] = [];

  constructor(options: ParserOptions) {
    this.#plan = options.plan;
    this.#limit = options.limit;
    if (options.entries) this.#start(options.entries);
  }

  /** How many blobs the upload announced. */
  get count(): number {
    return this.#entries?.length ?? 0;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.#entries) return this.#takeBlobs(this.#entries, chunk);
    const newline = chunk.indexOf(0x0a);
    this.#collectHead(newline < 0 ? chunk : chunk.subarray(0, newline));
    if (newline < 0) return [];
    const entries = this.#start(parseIndex(Buffer.concat(this.#head)));
    this.#head = [];
    return this.#takeBlobs(entries, chunk.subarray(newline + 1));
  }

  #takeBlobs(entries: readonly BlobEntry[], bytes: Buffer): Buffer[] {
    const keep: Buffer[] = [];
    let data = bytes;
    while (data.length > 0) {
      const entry = entries[this.#current];
      if (!entry) throw invalid('the upload holds more bytes than its index announces');
      const slice = data.subarray(0, Math.min(this.#remaining, data.length));
      this.#remaining -= slice.length;
      data = data.subarray(slice.length);
      if (this.#keeping) keep.push(slice);
      if (this.#remaining > 0) {
        if (this.#keeping) {
          this.#hash ??= createHash('sha256');
          this.#hash.update(slice);
        }
        continue;
      }
      if (this.#keeping) this.#verify(entry, this.#digest(slice));
      this.#current++;
      this.#advance();
    }
    return keep;
  }

  /** The current blob's hash, ending with `last`: in one shot when the blob came whole within one chunk. */
  #digest(last: Buffer): string {
    return this.#hash ? this.#hash.update(last).digest('hex') : hash('sha256', last, 'hex');
  }

  end(): IndexedBlob[] {
    if (!this.#entries) throw invalid('a blob batch must start with a JSON index line');
    if (this.#current < this.#entries.length) {
      throw invalid('the upload ended before the last blob its index announces', {
        reason: 'truncated',
        blobs_complete: this.#current,
        blobs_announced: this.#entries.length,
      });
    }
    return this.#kept;
  }

  #collectHead(bytes: Buffer): void {
    this.#headBytes += bytes.length;
    if (this.#headBytes > MAX_INDEX_LINE_BYTES) throw invalid('the batch index line is too long');
    this.#head.push(bytes);
  }

  #start(entries: readonly BlobEntry[]): readonly BlobEntry[] {
    if (entries.reduce((sum, entry) => sum + entry.size, 0) > this.#limit) {
      throw new ProjectsError('INVALID_ARGUMENT', `an upload may hold at most ${this.#limit} bytes`, {
        httpStatus: 413,
      });
    }
    this.#entries = [...entries];
    this.#wanted = this.#plan(entries);
    this.#advance();
    return this.#entries;
  }

  /** Makes the next entry with bytes the one being received, verifying empty ones on the way. */
  #advance(): void {
    for (;;) {
      this.#hash = undefined;
      const entry = this.#entries?.[this.#current];
      if (!entry) return;
      this.#remaining = entry.size;
      // Only blobs to keep are hashed: an already stored one (say, in a retried batch) is dropped unread.
      this.#keeping = this.#wanted.delete(entry.sha256);
      if (entry.size > 0) return;
      if (this.#keeping) this.#verify(entry, this.#digest(Buffer.alloc(0)));
      this.#current++;
    }
  }

  #verify(entry: BlobEntry, actual: string): void {
    if (actual !== entry.sha256) {
      throw new ProjectsError('CONTENT_MISMATCH', 'the uploaded bytes do not match their hash', {
        httpStatus: 422,
        details: { expected: entry.sha256, actual, size: entry.size },
      });
    }
    this.#kept.push({ ...entry, start: this.#packBytes });
    this.#packBytes += entry.size;
  }
}

function parseIndex(line: Buffer): BlobEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(line.toString('utf8'));
  } catch {
    throw invalid('a blob batch must start with a JSON index line');
  }
  const result = BlobBatchIndex.safeParse(raw);
  if (!result.success)
    throw invalid('the batch index is invalid', { issue: result.error.issues[0]?.message });
  return result.data;
}
