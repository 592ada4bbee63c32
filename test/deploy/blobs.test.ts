import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployClient } from '../../src/client/deploy-client.js';
import { BLOB_BATCH_TYPE } from '../../src/protocol/deploy.js';
import { migrate, openDatabase } from '../../src/sandbox/db.js';
import { createEdgeDeployModule } from '../../src/sandbox/providers/edge/deploy/module.js';
import { DEPLOY_MIGRATIONS } from '../../src/sandbox/providers/edge/deploy/store.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import {
  type DeploySandbox,
  hostOf,
  hostRequest,
  PUBLISH_SECRET,
  startDeploySandbox,
  until,
} from './helpers.js';
import { MemoryHosting } from './hosting.js';

/** The blob store's uploads over real HTTP: what it refuses, and that a refused upload leaves nothing. */

let env: DeploySandbox;

beforeAll(async () => {
  env = await startDeploySandbox();
});

afterAll(async () => {
  await env.close();
});

const sha = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

function blobsDir(sandbox: DeploySandbox, part: 'packs' | 'tmp'): string {
  return join(sandbox.dataDir, 'edge-serving', 'blobs', part);
}

const packs = (sandbox: DeploySandbox): string[] => readdirSync(blobsDir(sandbox, 'packs'));
const temps = (sandbox: DeploySandbox): string[] => readdirSync(blobsDir(sandbox, 'tmp'));

/** A batch body: the index line as given (it may lie about the bytes that follow), then `bytes`. */
function batchBody(index: { sha256: string; size: number }[], bytes: string): Buffer {
  return Buffer.concat([Buffer.from(`${JSON.stringify(index)}\n`), Buffer.from(bytes)]);
}

interface RawAnswer {
  status: number;
  body: { error?: { code: string; details?: Record<string, unknown> } };
}

/** Starts an upload by hand, so that tests can send what the client never would. */
function rawUpload(
  token: string,
  path: string,
  headers: Record<string, string>,
): { req: ReturnType<typeof request>; answer: Promise<RawAnswer> } {
  const req = request(`${env.deployUrl}/v1/${path}`, {
    method: path.startsWith('blobs/') ? 'PUT' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...headers },
  });
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') }),
      );
    });
  });
  return { req, answer };
}

function postBatch(token: string, body: Buffer): Promise<RawAnswer> {
  const { req, answer } = rawUpload(token, 'blob-batches', {
    'content-type': BLOB_BATCH_TYPE,
    'content-length': String(body.length),
  });
  req.end(body);
  return answer;
}

function manifestOf(contents: string[]): { path: string; sha256: string; size: number }[] {
  return contents.map((content, i) => ({ path: `f${i}.txt`, sha256: sha(content), size: content.length }));
}

function siteClient(name: string): DeployClient {
  return env.client(env.hosting.addSite(name).token);
}

describe('blob uploads', () => {
  it('refuses a batch with a blob that does not match its hash, keeping none of the batch', async () => {
    const client = siteClient('corrupt');
    const packsBefore = packs(env).length;
    // The corrupt blob spans several chunks of the request body, so it is hashed as it streams in.
    const beta = 'corrupt-beta'.repeat(20_000);
    const tampered = `${beta.slice(0, -1)}!`;
    const blobs = [
      { sha256: sha('corrupt-alpha'), bytes: Buffer.from('corrupt-alpha') },
      { sha256: sha(beta), bytes: Buffer.from(tampered) },
      { sha256: sha('corrupt-gamma'), bytes: Buffer.from('corrupt-gamma') },
    ];
    await expect(client.putBlobBatch(blobs)).rejects.toMatchObject({
      code: 'CONTENT_MISMATCH',
      details: expect.objectContaining({ http_status: 422, expected: sha(beta), actual: sha(tampered) }),
    });
    const manifest = manifestOf(['corrupt-alpha', beta, 'corrupt-gamma']);
    expect(await client.missing(manifest)).toEqual(manifest.map((file) => file.sha256));
    expect(packs(env)).toHaveLength(packsBefore);
    await until(() => temps(env).length === 0, 'the temporary pack is gone');
  });

  it('refuses a batch shorter or longer than its index, storing nothing of it', async () => {
    const { token } = env.hosting.addSite('truncated');
    const index = [
      { sha256: sha('trunc-one'), size: 9 },
      { sha256: sha('trunc-two'), size: 9 },
    ];
    const short = await postBatch(token, batchBody(index, 'trunc-onetrunc-t'));
    expect(short.status).toBe(400);
    expect(short.body.error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { reason: 'truncated', blobs_complete: 1, blobs_announced: 2 },
    });
    const long = await postBatch(token, batchBody(index, 'trunc-onetrunc-two!'));
    expect([long.status, long.body.error?.code]).toEqual([400, 'INVALID_ARGUMENT']);
    const noIndex = await postBatch(token, Buffer.from('no index line at all'));
    expect([noIndex.status, noIndex.body.error?.code]).toEqual([400, 'INVALID_ARGUMENT']);
    const client = env.client(token);
    expect(await client.missing(manifestOf(['trunc-one', 'trunc-two']))).toHaveLength(2);
    await until(() => temps(env).length === 0, 'the temporary packs are gone');
  });

  it('keeps nothing of an upload whose connection drops midway', async () => {
    const { token } = env.hosting.addSite('dropped');
    const content = 'x'.repeat(256 * 1024);
    const body = batchBody([{ sha256: sha(content), size: content.length }], content);
    const { req, answer } = rawUpload(token, 'blob-batches', {
      'content-type': BLOB_BATCH_TYPE,
      'content-length': String(body.length),
    });
    answer.catch(() => {});
    req.write(body.subarray(0, body.length / 2));
    await until(() => temps(env).length === 1, 'the server is writing the pack');
    req.destroy();
    await until(() => temps(env).length === 0, 'the server dropped the partial pack');
    expect(await env.client(token).missing(manifestOf([content]))).toEqual([sha(content)]);
  });

  it('stores a retried batch once, duplicates and empty blobs included, and serves it', async () => {
    const client = siteClient('retried');
    // Small blobs arrive whole within one chunk, the large one across several: both ways of hashing.
    const contents = ['retried-one', 'retried-two', '', 'retried-large'.repeat(20_000)];
    const blobs = [...contents, 'retried-one'].map((content) => ({
      sha256: sha(content),
      bytes: Buffer.from(content),
    }));
    const packsBefore = packs(env).length;
    await client.putBlobBatch(blobs);
    expect(packs(env)).toHaveLength(packsBefore + 1);
    await client.putBlobBatch(blobs);
    await client.putBlob(sha('retried-two'), 11, () => Readable.from([Buffer.from('retried-two')]));
    // Nothing new was written: every blob was stored already.
    expect(packs(env)).toHaveLength(packsBefore + 1);
    const files = manifestOf(contents);
    expect(await client.missing(files)).toEqual([]);
    const deployment = await client.create({ files });
    for (const [i, content] of contents.entries()) {
      const answer = await hostRequest(env.port, hostOf(deployment.url), `/f${i}.txt`);
      expect([answer.status, answer.body]).toEqual([200, content]);
    }
  });

  it('needs a length for a single blob upload', async () => {
    const { token } = env.hosting.addSite('chunked');
    const { req, answer } = rawUpload(token, `blobs/${sha('chunked')}`, {
      'content-type': 'application/octet-stream',
      'transfer-encoding': 'chunked',
    });
    req.end('chunked');
    const refused = await answer;
    expect([refused.status, refused.body.error?.code]).toEqual([411, 'INVALID_ARGUMENT']);
  });
});

describe('blobs stored loose by earlier versions', () => {
  it('become packs at start and keep being served', async () => {
    const content = 'stored before packs existed';
    const hash = sha(content);
    const legacy = await startDeploySandbox({
      prepare: (dataDir) => {
        const shard = join(dataDir, 'edge-serving', 'blobs', hash.slice(0, 2));
        mkdirSync(shard, { recursive: true });
        writeFileSync(join(shard, hash), content);
      },
    });
    try {
      const client = legacy.client(legacy.hosting.addSite('legacy').token);
      const files = [{ path: 'index.html', sha256: hash, size: content.length }];
      expect(await client.missing(files)).toEqual([]);
      expect(packs(legacy)).toEqual([`${hash}.pack`]);
      expect(existsSync(join(legacy.dataDir, 'edge-serving', 'blobs', hash.slice(0, 2)))).toBe(false);
      const deployment = await client.create({ files });
      expect((await hostRequest(legacy.port, hostOf(deployment.url), '/')).body).toBe(content);
    } finally {
      await legacy.close();
    }
  });
});

describe('the blob index', () => {
  it('survives a restart of the server', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'projects-deploy-restart-'));
    const hosting = new MemoryHosting();
    const { token } = hosting.addSite('restarted');
    const start = () =>
      startSandbox({
        dataDir,
        port: 0,
        modules: [createEdgeDeployModule(hosting, { publishSecret: PUBLISH_SECRET })],
        log: () => {},
      });
    const clientOf = (sandbox: RunningSandbox) =>
      new DeployClient({ url: `${sandbox.url}/providers/edge/deploy`, token });
    try {
      const first = await start();
      const contents = ['kept across restarts', 'and this one'];
      await clientOf(first).putBlobBatch(contents.map((c) => ({ sha256: sha(c), bytes: Buffer.from(c) })));
      await first.close();
      const second = await start();
      try {
        const client = clientOf(second);
        const files = manifestOf(contents);
        expect(await client.missing(files)).toEqual([]);
        const deployment = await client.create({ files });
        const port = Number(new URL(second.url).port);
        expect((await hostRequest(port, hostOf(deployment.url), '/f1.txt')).body).toBe('and this one');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('moves per-blob rows of the first pack format into per-pack rows', () => {
    const db = openDatabase(':memory:');
    migrate(db, 'provider:edge:deploy', DEPLOY_MIGRATIONS.slice(0, 2));
    const insert = db.prepare('INSERT INTO deploy_blobs (sha256, pack, start, size) VALUES (?, ?, ?, ?)');
    insert.run('a'.repeat(64), 'one.pack', 0, 5);
    insert.run('b'.repeat(64), 'one.pack', 5, 7);
    insert.run('c'.repeat(64), 'two.pack', 0, 3);
    migrate(db, 'provider:edge:deploy', DEPLOY_MIGRATIONS);
    const rows = db.prepare('SELECT name, blobs FROM deploy_packs ORDER BY name').all() as {
      name: string;
      blobs: string;
    }[];
    expect(rows.map((row) => [row.name, JSON.parse(row.blobs)])).toEqual([
      [
        'one.pack',
        [
          ['a'.repeat(64), 0, 5],
          ['b'.repeat(64), 5, 7],
        ],
      ],
      ['two.pack', [['c'.repeat(64), 0, 3]]],
    ]);
    db.close();
  });
});
