import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderClient } from '../../src/client/provider-client.js';
import type { RunningSandbox } from '../../src/sandbox/server.js';
import { linkNewAccount, providerClient, startProviderSandbox } from './harness.js';

const run = promisify(execFile);

/** Runs curl against the KV API; returns the HTTP status and the body. */
async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-sS', '--max-time', '10', '-w', '\n%{http_code}', ...args]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

describe('data provider: KV store over HTTP', () => {
  let sandbox: RunningSandbox;
  let client: ProviderClient;
  let accountToken: string;

  beforeAll(async () => {
    sandbox = await startProviderSandbox();
    client = providerClient(sandbox, 'data');
    accountToken = await linkNewAccount(sandbox, client);
  });
  afterAll(async () => sandbox?.close());

  it('works with curl, and the old credential stops working at once after rotate_credentials', async () => {
    const created = await client.createResource(accountToken, {
      service_id: 'kv:starter',
      configuration: { name: 'cache' },
      idempotency_key: 'run_test:step_kv',
    });
    expect(created.status).toBe('active');
    const url = created.access_configuration?.KV_REST_API_URL;
    const oldToken = created.access_configuration?.KV_REST_API_TOKEN;
    expect(url).toMatch(/\/providers\/data\/kv\/res_/);
    expect(oldToken).toMatch(/^kv_/);

    const put = await curl([
      '-X',
      'PUT',
      '-H',
      `Authorization: Bearer ${oldToken}`,
      '--data-binary',
      'hello world',
      `${url}/greeting`,
    ]);
    expect(put.status).toBe(200);
    const get = await curl(['-H', `Authorization: Bearer ${oldToken}`, `${url}/greeting`]);
    expect(get).toEqual({ status: 200, body: 'hello world' });

    const rotated = await client.rotateCredentials(accountToken, created.id);
    const newToken = rotated.access_configuration?.KV_REST_API_TOKEN;
    expect(newToken).toMatch(/^kv_/);
    expect(newToken).not.toBe(oldToken);
    expect((await curl(['-H', `Authorization: Bearer ${oldToken}`, `${url}/greeting`])).status).toBe(401);
    expect(await curl(['-H', `Authorization: Bearer ${newToken}`, `${url}/greeting`])).toEqual({
      status: 200,
      body: 'hello world',
    });

    const fetched = await client.getResource(accountToken, created.id);
    expect(fetched.access_configuration).toBeUndefined();

    const removed = await client.removeResource(accountToken, created.id);
    expect(removed.status).toBe('removed');
    expect((await curl(['-H', `Authorization: Bearer ${newToken}`, `${url}/greeting`])).status).toBe(401);
  });

  it('replays the first answer for a retried creation with the same idempotency key', async () => {
    const body = { service_id: 'kv:starter', configuration: {}, idempotency_key: 'run_test:step_replay' };
    const first = await client.createResource(accountToken, body);
    const second = await client.createResource(accountToken, body);
    expect(second.id).toBe(first.id);
    expect(second.access_configuration).toEqual(first.access_configuration);
    await expect(
      client.createResource(accountToken, { ...body, configuration: { name: 'other' } }),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
  });
});
