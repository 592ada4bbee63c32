import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRequestId } from '../../src/client/provider-client.js';
import { signatureHeader } from '../../src/protocol/signing.js';
import { createDataProvider } from '../../src/sandbox/providers/data/index.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { PROVIDER_SECRETS, type ProviderSandbox, providerClient, startProviderSandbox } from './harness.js';

const quoteBody = () =>
  JSON.stringify({ request_id: newRequestId(), service_id: 'kv:starter', configuration: {} });

describe('signed requests', () => {
  let sandbox: ProviderSandbox;
  beforeAll(async () => {
    sandbox = await startProviderSandbox();
  });
  afterAll(async () => sandbox?.close());

  const secret = PROVIDER_SECRETS.data!;
  const send = (body: string, signature: string | null) =>
    providerClient(sandbox, 'data').raw({ method: 'POST', path: 'provisioning/quotes', body, signature });

  it('accepts a valid signature', async () => {
    const body = quoteBody();
    expect((await send(body, signatureHeader(secret, body))).status).toBe(200);
  });

  it.each([
    ['missing', () => ({ body: quoteBody(), header: null })],
    ['malformed', () => ({ body: quoteBody(), header: 't=abc,v1=xyz' })],
    [
      'wrong secret',
      () => {
        const body = quoteBody();
        return { body, header: signatureHeader('whsec_someone-else', body) };
      },
    ],
    // 10 s beyond the 300 s window: timestamps have one-second resolution, and a loaded machine can take
    // a second or more between signing and checking, so a 1 s margin sometimes landed inside the window.
    [
      'stale',
      () => {
        const body = quoteBody();
        return { body, header: signatureHeader(secret, body, Date.now() - 310_000) };
      },
    ],
    [
      'from the future',
      () => {
        const body = quoteBody();
        return { body, header: signatureHeader(secret, body, Date.now() + 310_000) };
      },
    ],
    [
      'tampered body',
      () => {
        const body = quoteBody();
        return { body: body.replace('kv:starter', 'kv:pro'), header: signatureHeader(secret, body) };
      },
    ],
  ])('refuses a %s signature with 401 and a clear error body', async (_name, make) => {
    const { body, header } = make();
    const response = await send(body, header);
    expect(response.status).toBe(401);
    expect(response.json).toMatchObject({
      error: { code: 'INVALID_SIGNATURE', message: expect.stringMatching(/^request refused: .+/) },
    });
  });

  it('refuses a replay, with the reason', async () => {
    const body = quoteBody();
    const header = signatureHeader(secret, body);
    expect((await send(body, header)).status).toBe(200);
    const replay = await send(body, header);
    expect(replay.status).toBe(401);
    expect(replay.json).toMatchObject({
      error: { code: 'INVALID_SIGNATURE', details: { reason: 'replayed' } },
    });
  });

  it('guards every protocol route, GETs included, but not the human pages', async () => {
    const client = providerClient(sandbox, 'edge');
    for (const path of ['provisioning/health', 'provisioning/services', 'provisioning/resources/res_x']) {
      expect((await client.raw({ method: 'GET', path, signature: null })).status).toBe(401);
    }
    for (const path of ['provisioning/account_requests', 'oauth/token', 'provisioning/deep_links']) {
      expect((await client.raw({ method: 'POST', path, body: '{}', signature: null })).status).toBe(401);
    }
    expect((await fetch(`${sandbox.url}/providers/edge/oauth/consent?request=areq_unknown`)).status).toBe(
      404,
    );
  });
});

it('remembers signatures across a restart (the replay guard lives in the database)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'projects-replay-'));
  const secret = PROVIDER_SECRETS.data!;
  const start = () =>
    startSandbox({ dataDir, port: 0, modules: [createDataProvider({ id: 'data', signingSecret: secret })] });
  try {
    const body = quoteBody();
    const header = signatureHeader(secret, body);
    const first = await start();
    expect(
      (
        await providerClient(first, 'data').raw({
          method: 'POST',
          path: 'provisioning/quotes',
          body,
          signature: header,
        })
      ).status,
    ).toBe(200);
    await first.close();
    const second = await start();
    const replay = await providerClient(second, 'data').raw({
      method: 'POST',
      path: 'provisioning/quotes',
      body,
      signature: header,
    });
    await second.close();
    expect(replay.status).toBe(401);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
