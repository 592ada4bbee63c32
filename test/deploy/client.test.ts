import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { deployDirectory } from '../../src/client/deploy.js';
import { DeployClient } from '../../src/client/deploy-client.js';
import { HttpClient } from '../../src/client/http.js';
import { Redactor } from '../../src/core/redact.js';
import { openCredentialStore } from '../../src/credentials/store.js';
import { ProjectsError } from '../../src/protocol/errors.js';
import type { HostedSite } from '../../src/sandbox/providers/edge/deploy/hosting.js';
import { createEdgeDeployModule } from '../../src/sandbox/providers/edge/deploy/module.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import { PUBLISH_SECRET } from './helpers.js';
import { MemoryHosting } from './hosting.js';

/**
 * The deploy client is HttpClient underneath: what reaches the user of an upload that the provider refuses
 * (code, details, exit code), which calls are retried (a streamed blob is reopened; a create never is), and
 * that `--debug` shows every call but never the deploy token. Real HTTP against the edge's deploy API.
 */

/**
 * Hosting whose deploy-token check can be made to fail: `unavailable(n)` answers the next n requests
 * 503, `revokeAfter(n)` lets n more requests through, then treats the token as revoked (401).
 */
class ScriptedHosting extends MemoryHosting {
  #unavailable = 0;
  #allowed = Number.POSITIVE_INFINITY;
  requests = 0;

  unavailable(count: number): void {
    this.#unavailable = count;
  }

  revokeAfter(count: number): void {
    this.#allowed = count;
  }

  override siteForDeployToken(token: string): HostedSite | undefined {
    this.requests++;
    if (this.#unavailable > 0) {
      this.#unavailable--;
      throw new ProjectsError('PROVIDER_UNAVAILABLE', 'the edge is restarting', { httpStatus: 503 });
    }
    if (this.#allowed-- <= 0) return undefined;
    return super.siteForDeployToken(token);
  }
}

let sandbox: RunningSandbox;
let hosting: ScriptedHosting;
let deployUrl: string;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'projects-deploy-client-'));
  hosting = new ScriptedHosting();
  sandbox = await startSandbox({
    dataDir: join(work, 'sandbox'),
    port: 0,
    modules: [createEdgeDeployModule(hosting, { publishSecret: PUBLISH_SECRET })],
    log: () => {},
  });
  deployUrl = `${sandbox.url}/providers/edge/deploy`;
});

afterAll(async () => {
  await sandbox.close();
  rmSync(work, { recursive: true, force: true });
});

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** A site with a fresh token and a client for it that keeps its --debug lines. */
function site(name: string): { client: DeployClient; token: string; debug: string[] } {
  const { token } = hosting.addSite(name);
  const debug: string[] = [];
  return {
    client: new DeployClient({ url: deployUrl, token, debug: (line) => debug.push(line) }),
    token,
    debug,
  };
}

const sent = (debug: string[], method: string, path: string): number =>
  debug.filter((line) => line.startsWith(`→ ${method} `) && line.includes(`/v1/${path} `)).length;

describe('DeployClient over HttpClient', () => {
  it('maps a content mismatch of a streamed upload to CONTENT_MISMATCH (exit 1), sent once, storing nothing', async () => {
    const { client, debug } = site('mismatch');
    const dir = join(work, 'mismatch');
    mkdirSync(dir);
    // Over 1 MB, so it is streamed from disk at upload time rather than sent from the hashing buffer.
    const original = randomBytes(1_500_000);
    writeFileSync(join(dir, 'large.bin'), original);
    const error = await deployDirectory({
      dir,
      client,
      // The file changes between hashing and upload: the provider sees other bytes than the manifest named.
      onProgress: ({ phase }) => {
        if (phase === 'hashing') writeFileSync(join(dir, 'large.bin'), randomBytes(original.length));
      },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProjectsError);
    expect(error).toMatchObject({
      code: 'CONTENT_MISMATCH',
      exitCode: 1,
      details: expect.objectContaining({ http_status: 422, expected: sha(original) }),
    });
    expect(sent(debug, 'PUT', `blobs/${sha(original)}`)).toBe(1);
    const files = [{ path: 'large.bin', sha256: sha(original), size: original.length }];
    expect(await client.missing(files)).toEqual([sha(original)]);
  });

  it('retries a streamed blob after a 503 by opening it again, and sends a create exactly once', async () => {
    const { client, debug } = site('flaky');
    const bytes = randomBytes(200_000);
    let opened = 0;
    hosting.unavailable(1);
    await client.putBlob(sha(bytes), bytes.length, () => {
      opened++;
      return Readable.from([bytes]);
    });
    expect(opened).toBe(2);
    expect(debug.some((line) => line.startsWith('↻ PUT') && line.includes('PROVIDER_UNAVAILABLE'))).toBe(
      true,
    );
    const files = [{ path: 'blob.bin', sha256: sha(bytes), size: bytes.length }];
    expect(await client.missing(files)).toEqual([]);

    hosting.unavailable(1);
    await expect(client.create({ files })).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      exitCode: 8,
      details: expect.objectContaining({ http_status: 503 }),
    });
    expect(sent(debug, 'POST', 'deployments')).toBe(1);
    expect((await client.list()).deployments).toEqual([]);
  });

  it('sends a stream of unknown length chunked, which the edge refuses for a blob (411)', async () => {
    const { token } = hosting.addSite('chunked');
    const http = new HttpClient({ baseUrl: `${deployUrl}/v1/`, token, redactor: new Redactor() });
    const bytes = Buffer.from('no length given');
    let opened = 0;
    const upload = http.request('PUT', `blobs/${sha(bytes)}`, {
      raw: {
        type: 'application/octet-stream',
        open: () => {
          opened++;
          return Readable.from([bytes]);
        },
      },
    });
    await expect(upload).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: expect.objectContaining({ http_status: 411 }),
    });
    // A PUT is retried by default, but a refusal is not transient.
    expect(opened).toBe(1);
  });
});

describe('projects deploy', () => {
  let projectDir: string;
  let env: NodeJS.ProcessEnv;
  let token: string;

  beforeAll(async () => {
    const projectId = 'prj_deployclient';
    const added = hosting.addSite('debugged');
    token = added.token;
    env = {
      PROJECTS_HOME: join(work, 'home'),
      PROJECTS_CREDENTIAL_STORE: 'file',
      PROJECTS_ORCHESTRATOR_URL: sandbox.url,
      CI: '1',
    };
    const store = await openCredentialStore({ env });
    await store.putResourceSecrets(projectId, {
      EDGE_DEPLOY_API_URL: deployUrl,
      EDGE_DEPLOY_TOKEN: token,
      EDGE_SITE_ID: added.site.id,
    });
    store.close();
    projectDir = join(work, 'app');
    mkdirSync(join(projectDir, 'public'), { recursive: true });
    writeFileSync(
      join(projectDir, 'projects.json'),
      JSON.stringify({ project_id: projectId, deploy: { dir: 'public' } }),
    );
    writeFileSync(join(projectDir, 'public', 'index.html'), '<h1>debugged</h1>');
    writeFileSync(join(projectDir, 'public', 'large.bin'), randomBytes(1_200_000));
  });

  async function deploy(args: string[]) {
    const io = testIO();
    const code = await main(['deploy', ...args], { io, env, cwd: projectDir });
    return { code, out: io.out(), err: io.err() };
  }

  it('logs every deploy API call with --debug, the deploy token never', async () => {
    const run = await deploy(['--debug', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ ok: true, data: { files: 2, uploaded: 2 } });
    // The API URL itself is one of the site's credentials, so the log shows it redacted too.
    for (const call of ['POST manifest', 'POST blob-batches', 'PUT blobs/', 'POST deployments']) {
      const [method, path] = call.split(' ');
      expect(run.err).toMatch(
        new RegExp(`debug: → ${method} \\S*/v1/${path}.* authorization=\\[redacted\\]`),
      );
    }
    expect(run.err + run.out).not.toContain(token);
  });

  it('exits with the code of the error body the provider answers mid-upload (401 → AUTH_REQUIRED, exit 3)', async () => {
    writeFileSync(join(projectDir, 'public', 'index.html'), '<h1>changed</h1>');
    // The manifest question passes; the upload that follows finds the token revoked.
    hosting.revokeAfter(1);
    const before = hosting.requests;
    const run = await deploy(['--json', '--debug']);
    hosting.revokeAfter(Number.POSITIVE_INFINITY);
    expect(hosting.requests - before).toBe(2);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.out)).toMatchObject({
      ok: false,
      error: {
        code: 'AUTH_REQUIRED',
        message: 'a valid deploy token for this site is required',
        details: { http_status: 401 },
      },
      next: [{ command: 'projects status' }],
    });
    expect(run.err).toMatch(/debug: ← 401 POST .*\/v1\/blob-batches/);
    expect(run.err + run.out).not.toContain(token);
  });
});
