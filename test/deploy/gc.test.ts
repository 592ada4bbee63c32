import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployDirectory } from '../../src/client/deploy.js';
import { DeployClient } from '../../src/client/deploy-client.js';
import { ProviderClient } from '../../src/client/provider-client.js';
import { mintPublishGrant } from '../../src/protocol/publish-grant.js';
import { UPLOAD_GRACE_MS } from '../../src/sandbox/providers/edge/deploy/blobs.js';
import { createEdgeDeployModule } from '../../src/sandbox/providers/edge/deploy/module.js';
import { createEdgeProvider } from '../../src/sandbox/providers/edge/index.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import { linkNewAccount } from '../providers/harness.js';
import { hostRequest, PUBLISH_SECRET, until } from './helpers.js';
import { MemoryHosting } from './hosting.js';

/**
 * Garbage collection of deploy storage (src/sandbox/providers/edge/deploy/gc.ts) over real HTTP: what a
 * removed site leaves is deleted from disk, what live sites and upload sessions need is kept, and a
 * crash's leftovers are swept at restart.
 */

const sha = (bytes: string): string => createHash('sha256').update(bytes).digest('hex');
/** Past the upload grace period, so that only references keep a blob. */
const LATER = UPLOAD_GRACE_MS + 60_000;

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'projects-gc-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const packsDir = (dataDir: string): string => join(dataDir, 'edge-serving', 'blobs', 'packs');
const packNames = (dataDir: string): string[] => readdirSync(packsDir(dataDir)).sort();
/** Every byte held in pack files, to look for a blob's content on disk. */
const packBytes = (dataDir: string): string =>
  packNames(dataDir)
    .map((name) => readFileSync(join(packsDir(dataDir), name), 'latin1'))
    .join('');
const occurrences = (haystack: string, needle: string): number => haystack.split(needle).length - 1;

function writeSite(name: string, files: Record<string, string>): string {
  const dir = join(work, `${name}-${randomBytes(4).toString('hex')}`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** A sandbox with a clock the test moves forward. */
interface Clocked {
  sandbox: RunningSandbox;
  port: number;
  logs: string[];
  advance(ms: number): void;
  now(): number;
}

async function startClocked(
  dataDir: string,
  modules: (now: () => number) => Parameters<typeof startSandbox>[0]['modules'],
): Promise<Clocked> {
  let offset = 0;
  const now = () => Date.now() + offset;
  const logs: string[] = [];
  const sandbox = await startSandbox({
    dataDir,
    port: 0,
    now,
    modules: modules(now),
    log: (line) => logs.push(line),
  });
  return {
    sandbox,
    port: Number(new URL(sandbox.url).port),
    logs,
    advance: (ms) => {
      offset += ms;
    },
    now,
  };
}

describe('removing a site through the edge provider', () => {
  it('deletes what only it used, while a site sharing a blob keeps serving it and rolling back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'projects-gc-edge-'));
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    const env = await startClocked(dataDir, () => {
      const edge = createEdgeProvider({ id: 'edge', signingSecret: secret });
      return [edge.module, createEdgeDeployModule(edge.sites, { publishSecret: secret })];
    });
    const provider = new ProviderClient({
      baseUrl: `${env.sandbox.url}/providers/edge/`,
      secret,
      orchestratorId: 'orch_test',
      now: env.now,
    });
    try {
      const account = await linkNewAccount(env.sandbox, provider);
      const provision = async (name: string) => {
        const site = await provider.createResource(account, {
          service_id: 'hosting:site',
          configuration: { name },
          idempotency_key: `idk_${randomBytes(6).toString('hex')}`,
        });
        const access = site.access_configuration!;
        return {
          id: site.id,
          client: new DeployClient({ url: access.EDGE_DEPLOY_API_URL!, token: access.EDGE_DEPLOY_TOKEN! }),
        };
      };
      const shared = 'body { color: shared-between-sites }';
      const goneFiles = {
        'index.html': 'home of the site that goes',
        'notes.txt': 'only the removed site had this',
        'big.bin': 'g'.repeat(300_000),
        'style.css': shared,
      };
      const goneDir = writeSite('gone', goneFiles);
      const gone = await provision('gone');
      // First, so that its one pack holds the shared blob too: removing the site must compact that pack.
      expect((await deployDirectory({ dir: goneDir, client: gone.client })).uploaded).toBe(4);

      const keeper = await provision('keeper');
      const publish = async (files: Record<string, string>) => {
        const result = await deployDirectory({ dir: writeSite('keeper', files), client: keeper.client });
        const grant = mintPublishGrant(
          secret,
          { site: keeper.id, deployment: result.deployment.id },
          env.now(),
        ).grant;
        await keeper.client.promote(result.deployment.id, grant);
        return result;
      };
      const v1 = await publish({ 'index.html': 'keeper v1', 'style.css': shared });
      expect(v1.uploaded).toBe(1);
      const v2 = await publish({ 'index.html': 'keeper v2', 'style.css': shared });
      expect(v2.uploaded).toBe(1);
      expect(packNames(dataDir)).toHaveLength(3);

      env.advance(LATER);
      await provider.removeResource(account, gone.id);
      await until(
        () => !packBytes(dataDir).includes('only the removed site had this'),
        'the removed site’s blobs are off the disk',
      );
      const disk = packBytes(dataDir);
      // What is left on disk is exactly what the keeper's deployments name, each blob once.
      expect(disk.length).toBe(shared.length + 'keeper v1'.length + 'keeper v2'.length);
      expect(occurrences(disk, shared)).toBe(1);
      expect(packNames(dataDir)).toHaveLength(3);
      expect(env.logs).toContainEqual(
        expect.stringMatching(
          /^deploy gc: 1 removed site\(s\) purged, 3 blob\(s\) \/ 300\d+ bytes collected/,
        ),
      );

      expect((await hostRequest(env.port, 'gone.localhost', '/')).status).toBe(404);
      expect((await hostRequest(env.port, 'keeper.localhost', '/style.css')).body).toBe(shared);
      expect((await keeper.client.rollback()).production.id).toBe(v1.deployment.id);
      expect((await hostRequest(env.port, 'keeper.localhost', '/')).body).toBe('keeper v1');
      expect((await hostRequest(env.port, 'keeper.localhost', '/style.css')).body).toBe(shared);

      // The name is free again; deploying the same files uploads exactly the three blobs collected.
      const again = await provision('gone');
      const redeploy = await deployDirectory({ dir: goneDir, client: again.client });
      expect([redeploy.files, redeploy.uploaded]).toEqual([4, 3]);
      const big = await hostRequest(env.port, new URL(redeploy.deployment.url).hostname, '/big.bin');
      expect(big.body).toBe(goneFiles['big.bin']);
    } finally {
      await env.sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('upload sessions', () => {
  it('keep what a manifest counted as stored or an upload stored, until the grace period is over', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'projects-gc-session-'));
    const hosting = new MemoryHosting();
    const env = await startClocked(dataDir, () => [
      createEdgeDeployModule(hosting, { publishSecret: PUBLISH_SECRET }),
    ]);
    const url = `${env.sandbox.url}/providers/edge/deploy`;
    const clientOf = (name: string) => {
      const { site, token } = hosting.addSite(name);
      return { site, client: new DeployClient({ url, token }) };
    };
    const file = (path: string, content: string) => ({ path, sha256: sha(content), size: content.length });
    const upload = (client: DeployClient, contents: string[]) =>
      client.putBlobBatch(contents.map((content) => ({ sha256: sha(content), bytes: Buffer.from(content) })));
    const stored = async (client: DeployClient, content: string) =>
      (await client.missing([file('probe', content)])).length === 0;
    try {
      const old = clientOf('old');
      await upload(old.client, ['only the old site, and longer than what it shares', 'asked for again']);
      await old.client.create({
        files: [
          file('a.txt', 'only the old site, and longer than what it shares'),
          file('b.txt', 'asked for again'),
        ],
      });
      env.advance(LATER);

      // A session on another site: the manifest counts one blob as stored, the other is uploaded; the
      // deployment is not created yet. A third upload is never used.
      const session = clientOf('session');
      const files = [file('kept.txt', 'asked for again'), file('fresh.txt', 'uploaded in the session')];
      expect(await session.client.missing(files)).toEqual([sha('uploaded in the session')]);
      await upload(session.client, ['uploaded in the session']);
      await upload(clientOf('abandoned').client, ['never deployed']);

      hosting.removeSite(old.site.id);
      await until(
        () => !packBytes(dataDir).includes('only the old site, and longer than what it shares'),
        'the old site’s blob is collected',
      );
      expect(await stored(session.client, 'only the old site, and longer than what it shares')).toBe(false);
      const deployment = await session.client.create({ files });
      expect(deployment.status).toBe('ready');
      const preview = new URL(deployment.url).hostname;
      expect((await hostRequest(env.port, preview, '/kept.txt')).body).toBe('asked for again');

      env.advance(LATER);
      hosting.removeSite(clientOf('trigger').site.id);
      await until(() => !packBytes(dataDir).includes('never deployed'), 'the abandoned upload is collected');
      expect(await stored(session.client, 'asked for again')).toBe(true);
      expect((await hostRequest(env.port, preview, '/fresh.txt')).body).toBe('uploaded in the session');
    } finally {
      await env.sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a crash’s leftovers', () => {
  it('are removed at restart: a pack moved into place but never indexed, a temporary pack', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'projects-gc-crash-'));
    const hosting = new MemoryHosting();
    const { token } = hosting.addSite('survivor');
    const start = () =>
      startClocked(dataDir, () => [createEdgeDeployModule(hosting, { publishSecret: PUBLISH_SECRET })]);
    try {
      const first = await start();
      const client = () => new DeployClient({ url: `${first.sandbox.url}/providers/edge/deploy`, token });
      const dir = writeSite('survivor', { 'index.html': 'still here', 'app.js': 'console.log(1)' });
      const deployed = await deployDirectory({ dir, client: client() });
      await first.sandbox.close();
      const [indexed] = packNames(dataDir);
      // What a crash between the rename and the index row leaves: a complete pack no row names.
      copyFileSync(
        join(packsDir(dataDir), indexed!),
        join(packsDir(dataDir), 'f00dfeedf00dfeedf00dfeed.pack'),
      );
      const temp = join(dataDir, 'edge-serving', 'blobs', 'tmp', 'deadbeefdeadbeefdeadbeef');
      writeFileSync(temp, 'half an upload');

      const second = await start();
      try {
        expect(packNames(dataDir)).toEqual([indexed]);
        expect(readdirSync(join(dataDir, 'edge-serving', 'blobs', 'tmp'))).toEqual([]);
        const preview = new URL(deployed.deployment.url).hostname;
        expect((await hostRequest(second.port, preview, '/')).body).toBe('still here');
        expect((await hostRequest(second.port, preview, '/app.js')).body).toBe('console.log(1)');
        const again = new DeployClient({ url: `${second.sandbox.url}/providers/edge/deploy`, token });
        expect((await deployDirectory({ dir, client: again })).uploaded).toBe(0);
      } finally {
        await second.sandbox.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
