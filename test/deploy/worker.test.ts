import { Resolver } from 'node:dns/promises';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployDirectory } from '../../src/client/deploy.js';
import {
  type DeploySandbox,
  grantFor,
  hostOf,
  hostRequest,
  startDeploySandbox,
  tlsRequest,
  until,
} from './helpers.js';

const TEMPLATE = join(import.meta.dirname, '../../templates/worker');
const WORKER_RUNTIME = { type: 'worker', main: 'src/index.js' } as const;

let env: DeploySandbox;
let work: string;

beforeAll(async () => {
  env = await startDeploySandbox();
  work = mkdtempSync(join(tmpdir(), 'projects-worker-'));
});

afterAll(async () => {
  await env.close();
  rmSync(work, { recursive: true, force: true });
});

function endpointPort(name: string): number {
  return Number(env.sandbox.context.endpoints.get(name)!.split(':')[1]);
}

describe('worker deployments on a custom domain', () => {
  it('serves the worker template over HTTP and HTTPS with a verified chain, answers DNS, rolls back', async () => {
    const { site, token } = env.hosting.addSite('shop');
    env.hosting.addZone('superseal.club');
    const client = env.client(token);
    const dir = join(work, 'shop');
    cpSync(TEMPLATE, dir, { recursive: true });

    const first = await deployDirectory({
      dir,
      client,
      runtime: WORKER_RUNTIME,
      env: { DATA_URL: 'http://127.0.0.1:1/kv', DATA_TOKEN: 'kv_secret_value' },
    });
    expect(first.deployment.status).toBe('ready');
    expect(first.deployment.env_names).toEqual(['DATA_TOKEN', 'DATA_URL']);
    // Credentials are sealed at rest, never clear text in the sandbox database.
    const stored = JSON.stringify(env.sandbox.db.prepare('SELECT env FROM deploy_deployments').all());
    expect(stored).not.toContain('kv_secret_value');
    const preview = hostOf(first.deployment.url);
    const home = await hostRequest(env.port, preview, '/');
    expect(home.status).toBe(200);
    expect(home.body).toContain('Hello from a worker');
    const health = JSON.parse((await hostRequest(env.port, preview, '/api/health')).body);
    expect(health).toEqual({ ok: true, env: ['DATA_TOKEN', 'DATA_URL'] });
    const echo = await hostRequest(env.port, preview, '/api/echo', { method: 'POST', body: 'ping' });
    expect(JSON.parse(echo.body)).toEqual({ received: 'ping' });

    await client.promote(first.deployment.id, grantFor(site, first.deployment.id));
    const attached = await client.attachDomain('superseal.club');
    expect(attached.https_url).toBe(`https://superseal.club:${endpointPort('https')}/`);
    expect(attached.records.map((record) => record.type).sort()).toEqual(['A', 'AAAA', 'TXT']);

    const resolver = new Resolver();
    resolver.setServers([env.sandbox.context.endpoints.get('dns')!]);
    expect(await resolver.resolve4('superseal.club')).toEqual(['127.0.0.1']);
    expect(await resolver.resolve6('superseal.club')).toEqual(['::1']);
    expect(await resolver.resolveCname('www.superseal.club')).toEqual(['superseal.club']);
    expect(await resolver.resolveTxt('_projects-edge.superseal.club')).toEqual([['site=shop']]);
    await expect(resolver.resolve4('nothing.superseal.club')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver.resolve4('example.org')).rejects.toMatchObject({ code: 'EREFUSED' });

    const ca = await (await fetch(`${env.sandbox.url}/providers/edge/deploy/ca.pem`)).text();
    const https = await tlsRequest(endpointPort('https'), 'superseal.club', ca);
    expect(https.status).toBe(200);
    expect(https.body).toContain('Hello from a worker');
    expect((await tlsRequest(endpointPort('https'), 'www.superseal.club', ca)).status).toBe(200);
    // The same chain is refused without the provider's CA, and by a name the certificate does not cover.
    await expect(tlsRequest(endpointPort('https'), 'superseal.club', '')).rejects.toThrow();
    await expect(tlsRequest(endpointPort('https'), 'other.superseal.club', ca)).rejects.toThrow();
    expect((await hostRequest(env.port, 'superseal.club', '/')).body).toContain('Hello from a worker');

    writeFileSync(join(dir, 'src/page.js'), 'export function page() { return "version two"; }\n');
    const second = await deployDirectory({ dir, client, runtime: WORKER_RUNTIME });
    expect(second.uploaded).toBe(1);
    await client.promote(second.deployment.id, grantFor(site, second.deployment.id));
    expect((await tlsRequest(endpointPort('https'), 'superseal.club', ca)).body).toBe('version two');

    await client.rollback();
    expect((await tlsRequest(endpointPort('https'), 'superseal.club', ca)).body).toContain(
      'Hello from a worker',
    );
  });

  it('runs a worker without access to the provider files or environment', async () => {
    const { token } = env.hosting.addSite('nosy');
    const dir = join(work, 'nosy');
    cpSync(TEMPLATE, dir, { recursive: true });
    const dbPath = join(env.sandbox.context.dataDir, 'sandbox.db');
    writeFileSync(
      join(dir, 'src/index.js'),
      `import { readFileSync } from 'node:fs';
       export async function fetch() {
         const attempt = (fn) => { try { fn(); return 'allowed'; } catch (e) { return e.code ?? 'error'; } };
         const child = await import('node:child_process');
         return Response.json({
           db: attempt(() => readFileSync(${JSON.stringify(dbPath)})),
           spawn: attempt(() => child.spawnSync('true')),
           env: Object.keys(process.env),
         });
       }`,
    );
    const result = await deployDirectory({ dir, client: env.client(token), runtime: WORKER_RUNTIME });
    const answer = JSON.parse((await hostRequest(env.port, hostOf(result.deployment.url), '/')).body);
    expect(answer).toEqual({ db: 'ERR_ACCESS_DENIED', spawn: 'ERR_ACCESS_DENIED', env: [] });
    expect(readFileSync(dbPath).length).toBeGreaterThan(0);
  });

  it('marks a deployment whose module does not export fetch as failed', async () => {
    const { token } = env.hosting.addSite('broken');
    const dir = join(work, 'broken');
    cpSync(TEMPLATE, dir, { recursive: true });
    writeFileSync(join(dir, 'src/index.js'), 'export const nothing = 1;\n');
    await expect(
      deployDirectory({ dir, client: env.client(token), runtime: WORKER_RUNTIME }),
    ).rejects.toMatchObject({ code: 'DEPLOYMENT_FAILED', message: expect.stringContaining('fetch') });
  });

  it('stops the worker of a removed site and deletes its materialized files', async () => {
    const { site, token } = env.hosting.addSite('leaving');
    const dir = join(work, 'leaving');
    cpSync(TEMPLATE, dir, { recursive: true });
    writeFileSync(join(dir, 'src/index.js'), 'export const fetch = () => Response.json(process.pid);\n');
    const result = await deployDirectory({ dir, client: env.client(token), runtime: WORKER_RUNTIME });
    const pid = Number((await hostRequest(env.port, hostOf(result.deployment.url), '/')).body);
    const materialized = join(env.sandbox.context.dataDir, 'edge-serving', 'sites', result.deployment.id);
    expect(existsSync(materialized)).toBe(true);
    const running = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(running()).toBe(true);
    env.hosting.removeSite(site.id);
    await until(() => !running(), 'the worker process is gone');
    expect(existsSync(materialized)).toBe(false);
    expect(existsSync(`${materialized}.ready`)).toBe(false);
  });

  it('presents no certificate for a name that is not attached', async () => {
    const socket = connect({ host: '127.0.0.1', port: endpointPort('https'), servername: 'unknown.test' });
    const error = await new Promise<Error>((resolve) => socket.once('error', resolve));
    expect(error.message).toMatch(/alert|handshake|socket/i);
  });
});
