import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderClient } from '../../src/client/provider-client.js';
import { issuePaymentToken } from '../../src/sandbox/orchestrator/money/tokens.js';
import { readProviderSecrets } from '../../src/sandbox/provider-secrets.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { linkNewAccount } from './harness.js';

const run = promisify(execFile);

/** Runs curl; returns the HTTP status and the body. */
async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-sS', '--max-time', '10', '-w', '\n%{http_code}', ...args]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

describe('data provider: KV store over HTTP', () => {
  let sandbox: TestSandbox;
  let client: ProviderClient;
  let accountToken: string;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    const secret = readProviderSecrets(sandbox.db, sandbox.context.secrets).find(
      (provider) => provider.id === 'data',
    )!.signingSecret;
    client = new ProviderClient({
      baseUrl: `${sandbox.url}/providers/data/`,
      secret,
      orchestratorId: 'sandbox',
    });
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
    const auth = (token: string | undefined) => ['-H', `Authorization: Bearer ${token}`];

    const put = await curl([
      '-X',
      'PUT',
      ...auth(oldToken),
      '--data-binary',
      'hello world',
      `${url}/greeting`,
    ]);
    expect(put.status).toBe(200);
    expect(await curl([...auth(oldToken), `${url}/greeting`])).toEqual({ status: 200, body: 'hello world' });
    expect(JSON.parse((await curl([...auth(oldToken), `${url}?prefix=gr`])).body)).toEqual({
      keys: ['greeting'],
    });
    const exported = await curl([...auth(oldToken), `${url}?export=jsonl`]);
    expect(JSON.parse(exported.body)).toEqual({
      key: 'greeting',
      content_type: 'application/x-www-form-urlencoded',
      value_base64: Buffer.from('hello world').toString('base64'),
    });

    const rotated = await client.rotateCredentials(accountToken, created.id);
    const newToken = rotated.access_configuration?.KV_REST_API_TOKEN;
    expect(newToken).toMatch(/^kv_/);
    expect(newToken).not.toBe(oldToken);
    expect((await curl([...auth(oldToken), `${url}/greeting`])).status).toBe(401);
    expect(await curl([...auth(newToken), `${url}/greeting`])).toEqual({ status: 200, body: 'hello world' });

    expect((await client.getResource(accountToken, created.id)).access_configuration).toBeUndefined();
    const renamed = await client.updateService(accountToken, created.id, {
      configuration: { name: 'sessions' },
    });
    expect(renamed.details).toMatchObject({ name: 'sessions' });

    const removed = await client.removeResource(accountToken, created.id);
    expect(removed.status).toBe('removed');
    expect((await curl([...auth(newToken), `${url}/greeting`])).status).toBe(401);
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

  it('bills the paid tier monthly through the orchestrator, and removal stops the billing', async () => {
    const quote = await client.quote({ service_id: 'kv:pro', configuration: {} });
    expect(quote).toMatchObject({ price: 900, billing: 'recurring', interval: 'month', refundable: false });
    const { token } = await issuePaymentToken(sandbox.context, {
      userId: sandbox.user.id,
      actor: `human:${sandbox.user.email}`,
      projectId: null,
      providerId: 'data',
      maxAmount: quote.price,
      currency: 'usd',
      idempotencyKey: 'issue-kv-pro',
    });
    const pro = await client.createResource(accountToken, {
      service_id: 'kv:pro',
      configuration: {},
      idempotency_key: 'run_test:step_kv_pro',
      quote_id: quote.id,
      payment_credentials: {
        type: 'payment_token',
        token,
        capture_url: `${sandbox.url}/v1/provider/captures`,
      },
    });
    expect(pro.billing).toMatchObject({
      status: 'active',
      amount: 900,
      billing: 'recurring',
      interval: 'month',
    });
    expect(pro.details).toMatchObject({ max_keys: 100_000 });
    // Settings that keep the price can change in place.
    await expect(
      client.updateService(accountToken, pro.id, { configuration: { name: 'x' } }),
    ).resolves.toMatchObject({
      details: { name: 'x' },
    });
    const removed = await client.removeResource(accountToken, pro.id);
    expect(removed.billing.status).toBe('canceled');
    expect((await client.getResource(accountToken, pro.id)).billing.status).toBe('canceled');
  });

  it('hands out a one-time dashboard link listing the account’s resources', async () => {
    const link = await client.createDeepLink(accountToken, { purpose: 'dashboard' });
    const page = await fetch(link.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('kv:pro');
    expect((await fetch(link.url)).status).toBe(404);
  });
});
