import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployDirectory } from '../../src/client/deploy.js';
import { type DeploySandbox, grantFor, hostOf, hostRequest, startDeploySandbox } from './helpers.js';

let env: DeploySandbox;
let work: string;

beforeAll(async () => {
  env = await startDeploySandbox();
  work = mkdtempSync(join(tmpdir(), 'projects-site-'));
});

afterAll(async () => {
  await env.close();
  rmSync(work, { recursive: true, force: true });
});

function writeSite(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

describe('static deployments', () => {
  it('uploads only missing files, serves previews by Host, promotes and rolls back', async () => {
    const { site, token } = env.hosting.addSite('blog');
    const client = env.client(token);
    const dir = join(work, 'blog');
    writeSite(dir, {
      'index.html': '<h1>v1</h1>',
      'about.html': 'about',
      'docs/index.html': 'docs',
      'assets/app.css': 'body{}',
      'copy.css': 'body{}',
      '404.html': 'custom missing',
      // Above the batching threshold: streamed on its own.
      'media/big.bin': 'x'.repeat(1536 * 1024),
    });

    const first = await deployDirectory({ dir, client, message: 'first' });
    expect(first.files).toBe(7);
    // app.css and copy.css are identical: one blob.
    expect(first.uploaded).toBe(6);
    expect(first.deployment.status).toBe('ready');
    expect(first.deployment.production).toBe(false);
    expect(first.deployment.url).toMatch(/^http:\/\/[0-9a-z]{12}--blog\.localhost:\d+\/$/);

    const preview = hostOf(first.deployment.url);
    expect((await hostRequest(env.port, preview, '/')).body).toBe('<h1>v1</h1>');
    expect((await hostRequest(env.port, preview, '/about')).body).toBe('about');
    expect((await hostRequest(env.port, preview, '/docs/')).body).toBe('docs');
    const css = await hostRequest(env.port, preview, '/assets/app.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await hostRequest(env.port, preview, '/media/big.bin')).body.length).toBe(1536 * 1024);
    const missing = await hostRequest(env.port, preview, '/nope');
    expect([missing.status, missing.body]).toEqual([404, 'custom missing']);
    expect((await hostRequest(env.port, 'blog.localhost', '/')).status).toBe(404);

    const same = await deployDirectory({ dir, client });
    expect(same.uploaded).toBe(0);

    await expect(client.promote(first.deployment.id, 'pg1.forged.grant')).rejects.toMatchObject({
      code: 'APPROVAL_REQUIRED',
    });
    await expect(
      client.promote(first.deployment.id, grantFor(site, 'dpl_000000000000')),
    ).rejects.toMatchObject({
      code: 'APPROVAL_REQUIRED',
    });
    await client.promote(first.deployment.id, grantFor(site, first.deployment.id));
    expect((await hostRequest(env.port, 'blog.localhost', '/')).body).toBe('<h1>v1</h1>');

    writeFileSync(join(dir, 'index.html'), '<h1>v2</h1>');
    const second = await deployDirectory({ dir, client, message: 'second' });
    expect(second.uploaded).toBe(1);
    expect((await hostRequest(env.port, hostOf(second.deployment.url), '/')).body).toBe('<h1>v2</h1>');
    // The previous preview keeps its content.
    expect((await hostRequest(env.port, preview, '/')).body).toBe('<h1>v1</h1>');

    const promoted = await client.promote(second.deployment.id, grantFor(site, second.deployment.id));
    expect(promoted.previous).toBe(first.deployment.id);
    expect((await hostRequest(env.port, 'blog.localhost', '/')).body).toBe('<h1>v2</h1>');

    const rolledBack = await client.rollback();
    expect(rolledBack.production.id).toBe(first.deployment.id);
    expect((await hostRequest(env.port, 'blog.localhost', '/')).body).toBe('<h1>v1</h1>');
    await expect(client.rollback()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // A deployment never in production is not a rollback target without a grant.
    await expect(client.rollback({ id: same.deployment.id })).rejects.toMatchObject({
      code: 'APPROVAL_REQUIRED',
    });
    expect((await client.rollback({ id: second.deployment.id })).production.id).toBe(second.deployment.id);

    const list = await client.list();
    expect(list.production).toBe(second.deployment.id);
    expect(list.deployments.map((d) => d.message)).toEqual(['second', null, 'first']);

    // A removed site stops being served at once, previews included, and its token stops working.
    env.hosting.removeSite(site.id);
    expect((await hostRequest(env.port, 'blog.localhost', '/')).status).toBe(404);
    expect((await hostRequest(env.port, preview, '/')).status).toBe(404);
    await expect(client.list()).rejects.toMatchObject({ code: 'AUTH_REQUIRED' });
  });

  it('honours .gitignore, the projects.json ignore list and the always-ignored files', async () => {
    const { token } = env.hosting.addSite('ignored');
    const client = env.client(token);
    const dir = join(work, 'ignored');
    writeSite(dir, {
      '.gitignore': 'build/\n*.log\n!keep.log\n',
      'index.html': 'home',
      'keep.log': 'kept',
      'debug.log': 'dropped',
      'build/out.js': 'dropped',
      'drafts/post.html': 'dropped by extra',
      '.env': 'SECRET=1',
      '.git/config': 'dropped',
      'node_modules/x/index.js': 'dropped',
    });
    const result = await deployDirectory({ dir, client, ignore: ['drafts/'] });
    const host = hostOf(result.deployment.url);
    expect(result.files).toBe(3);
    expect((await hostRequest(env.port, host, '/keep.log')).body).toBe('kept');
    for (const path of ['/debug.log', '/build/out.js', '/drafts/post.html', '/.env', '/.git/config']) {
      expect((await hostRequest(env.port, host, path)).status).toBe(404);
    }
  });

  it('refuses a wrong deploy token, a blob that does not match its hash, and unknown hosts', async () => {
    const bad = env.client('edt_not-a-token');
    await expect(bad.list()).rejects.toMatchObject({ code: 'AUTH_REQUIRED' });
    const { token } = env.hosting.addSite('strict');
    const client = env.client(token);
    const wrongHash = 'a'.repeat(64);
    await expect(
      client.putBlob(wrongHash, 5, () => Readable.from([Buffer.from('hello')])),
    ).rejects.toMatchObject({
      code: 'CONTENT_MISMATCH',
      details: expect.objectContaining({ http_status: 422 }),
    });
    await expect(
      client.putBlobBatch([{ sha256: wrongHash, bytes: Buffer.from('tampered') }]),
    ).rejects.toMatchObject({
      code: 'CONTENT_MISMATCH',
      details: expect.objectContaining({ http_status: 422 }),
    });
    await expect(
      client.create({ files: [{ path: 'index.html', sha256: wrongHash, size: 5 }] }),
    ).rejects.toMatchObject({ details: expect.objectContaining({ missing: [wrongHash] }) });
    expect((await hostRequest(env.port, 'nosuchsite.localhost', '/')).status).toBe(404);
  });
});
