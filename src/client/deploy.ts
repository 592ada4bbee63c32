import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Deployment, Runtime } from '../protocol/deploy.js';
import { ProjectsError } from '../protocol/errors.js';
import type { DeployClient } from './deploy-client.js';
import {
  hashFiles,
  type LocalFile,
  listFiles,
  loadIgnoreRules,
  mapLimit,
  SMALL_FILE_BYTES,
} from './deploy-files.js';
import { withRetries } from './retry.js';

/**
 * The deploy flow against a provider's deploy API, independent of the CLI: list the files (honouring the
 * ignore rules), hash them, ask which hashes the provider lacks, upload only those (small files in batches,
 * large ones streamed one by one; bounded concurrency; retries), create the deployment, then follow its
 * status honouring `Retry-After`.
 */

export type DeployPhase = 'hashing' | 'uploading' | 'processing';

export interface DeployProgress {
  phase: DeployPhase;
  done: number;
  total: number;
}

export interface DeployDirectoryOptions {
  dir: string;
  client: DeployClient;
  runtime?: Runtime;
  message?: string;
  /** Values the worker sees as `env` (the project's resource credentials). */
  env?: Record<string, string>;
  /** Extra ignore patterns (the `deploy.ignore` list of projects.json). */
  ignore?: readonly string[];
  concurrency?: number;
  onProgress?: (progress: DeployProgress) => void;
  /** How long to follow a deployment that is still processing. */
  timeoutMs?: number;
}

export interface DeployResult {
  deployment: Deployment;
  files: number;
  bytes: number;
  /** Distinct blobs sent to the provider (the rest it already held). */
  uploaded: number;
  uploadedBytes: number;
}

const BATCH_MAX_BYTES = 8 * 1024 * 1024;
const BATCH_MAX_FILES = 500;
/** Uploads and manifest checks name their content by hash, so repeating one is harmless. */
const CONTENT_ADDRESSED = { retrySafe: true } as const;
/** Groups the small files into batches bounded by size and count; each large file is its own group. */
export function planUploads(files: readonly LocalFile[]): LocalFile[][] {
  const groups: LocalFile[][] = [];
  let batch: LocalFile[] = [];
  let batchBytes = 0;
  for (const file of files) {
    if (file.size > SMALL_FILE_BYTES) {
      groups.push([file]);
      continue;
    }
    if (batch.length >= BATCH_MAX_FILES || batchBytes + file.size > BATCH_MAX_BYTES) {
      groups.push(batch);
      batch = [];
      batchBytes = 0;
    }
    batch.push(file);
    batchBytes += file.size;
  }
  if (batch.length > 0) groups.push(batch);
  return groups;
}

async function readStreamed(file: LocalFile): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(file.absolute)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function uploadGroup(client: DeployClient, group: readonly LocalFile[]): Promise<void> {
  if (group.length === 1 && group[0]!.size > SMALL_FILE_BYTES) {
    const file = group[0]!;
    await withRetries(async () => client.putBlob(file.sha256, await readStreamed(file)), CONTENT_ADDRESSED);
    return;
  }
  const blobs = await Promise.all(
    group.map(async (file) => ({ sha256: file.sha256, bytes: await readFile(file.absolute) })),
  );
  await withRetries(() => client.putBlobBatch(blobs), CONTENT_ADDRESSED);
}

export async function deployDirectory(options: DeployDirectoryOptions): Promise<DeployResult> {
  const { dir, client } = options;
  const concurrency = options.concurrency ?? 8;
  const report = options.onProgress ?? (() => {});
  const paths = await listFiles(dir, loadIgnoreRules(dir, options.ignore));
  if (paths.length === 0) {
    throw new ProjectsError('INVALID_ARGUMENT', `there is nothing to deploy in ${dir}`, {
      details: { dir },
    });
  }
  let hashed = 0;
  const files = await hashFiles(dir, paths, {
    onFile: () => report({ phase: 'hashing', done: ++hashed, total: paths.length }),
  });
  const manifest = files.map(({ path, sha256, size }) => ({ path, sha256, size }));
  const missing = new Set(await withRetries(() => client.missing(manifest), CONTENT_ADDRESSED));
  // One file per missing hash: identical files are uploaded once.
  const toUpload = [
    ...new Map(files.filter((file) => missing.has(file.sha256)).map((f) => [f.sha256, f])).values(),
  ];
  let uploaded = 0;
  report({ phase: 'uploading', done: 0, total: toUpload.length });
  await mapLimit(planUploads(toUpload), concurrency, async (group) => {
    await uploadGroup(client, group);
    uploaded += group.length;
    report({ phase: 'uploading', done: uploaded, total: toUpload.length });
  });
  // Not retried: a repeated create after a lost answer would make a second deployment.
  const created = await client.create({
    files: manifest,
    runtime: options.runtime ?? { type: 'static' },
    ...(options.message ? { message: options.message } : {}),
    env: options.env ?? {},
  });
  report({ phase: 'processing', done: 0, total: 1 });
  const deployment =
    created.status === 'processing'
      ? await client.waitUntilReady(created.id, { timeoutMs: options.timeoutMs ?? 120_000 })
      : created;
  return {
    deployment,
    files: files.length,
    bytes: files.reduce((sum, file) => sum + file.size, 0),
    uploaded: toUpload.length,
    uploadedBytes: toUpload.reduce((sum, file) => sum + file.size, 0),
  };
}
