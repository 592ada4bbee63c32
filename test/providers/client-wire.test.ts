import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderClient } from '../../src/client/provider-client.js';
import { verifySignature } from '../../src/protocol/signing.js';
import { type RecordingServer, startRecordingServer } from '../helpers/recording-server.js';
import { rejection } from '../helpers/rejection.js';

/**
 * The provider client on the shared HTTP layer (src/client/http.ts), seen from the wire: the signature covers
 * the bytes as transmitted, a provider's failures reach the orchestrator's callers as the statuses it relays
 * (503 unavailable, 502 garbage, a refusal's own 4xx), and a provider that stalls — silent, or dribbling its
 * answer — is cut off at the client's deadline.
 */
const SECRET = 'whsec_wire_test';
type Scripted = { status: number; body: string; headers?: Record<string, string> };

let server: RecordingServer;
let base: string;
let script: Scripted[] = [];

function answer(res: ServerResponse, path: string): void {
  if (path.endsWith('/silent/provisioning/health')) return;
  if (path.endsWith('/dribble/provisioning/health')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{');
    const drip = setInterval(() => res.write(' '), 50);
    res.on('close', () => clearInterval(drip));
    return;
  }
  const next = script.shift() ?? { status: 200, body: JSON.stringify(quote) };
  res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
  res.end(next.body);
}

const quote = {
  id: 'qt_1',
  service_id: 'registrar:domain',
  configuration: { name: 'café-日本.dev' },
  availability: 'available',
  unavailable_reason: null,
  price: 1200,
  currency: 'usd',
  billing: 'one_time',
  interval: null,
  refundable: false,
  premium: false,
  renewal_price: null,
  name_requested: 'café-日本.dev',
  name_offered: 'café-日本.dev',
  expires_at: '2026-12-04T12:15:00Z',
};

beforeAll(async () => {
  server = await startRecordingServer((res, request) => answer(res, request.path));
  base = server.url;
});
afterAll(() => server.close());
beforeEach(() => {
  script = [];
  server.received.length = 0;
});

const client = (path = 'p', timeoutMs = 2000) =>
  new ProviderClient({ baseUrl: `${base}/${path}`, secret: SECRET, orchestratorId: 'orch_wire', timeoutMs });

describe('provider client on the shared HTTP layer', () => {
  it('signs the exact bytes it sends, non-ASCII characters included', async () => {
    const name = 'café-日本.dev';
    await client().quote({ service_id: 'registrar:domain', configuration: { name } });
    expect(server.received).toHaveLength(1);
    const [request] = server.received;
    // Verified over the bytes as they arrived, decoded once — as a provider's verifier sees them.
    const body = request!.raw.toString('utf8');
    expect(verifySignature({ secret: SECRET, header: request!.signature, body }).ok).toBe(true);
    expect(request!.raw.length).toBeGreaterThan(body.length);
    expect(JSON.parse(body)).toMatchObject({ configuration: { name }, request_id: expect.any(String) });
    expect(request!.headers['projects-orchestrator']).toBe('orch_wire');
    // The same text re-encoded as Latin-1 would be different bytes: the signature would not hold for them.
    const latin1 = Buffer.from(body, 'latin1').toString('utf8');
    expect(verifySignature({ secret: SECRET, header: request!.signature, body: latin1 }).ok).toBe(false);
  });

  it('keeps a refusal’s code and its 4xx status, so the orchestrator knows nothing was done', async () => {
    script = [
      {
        status: 402,
        body: '{"error":{"code":"PAYMENT_DECLINED","message":"card declined","details":{"capture":"none"}}}',
      },
    ];
    const error = await rejection(client().quote({ service_id: 'registrar:domain', configuration: {} }));
    expect(error).toMatchObject({
      code: 'PAYMENT_DECLINED',
      message: 'card declined',
      httpStatus: 402,
      details: { capture: 'none' },
    });
  });

  it.each([
    [503, '{"error":{"code":"ORCHESTRATOR_UNAVAILABLE","message":"capture outcome unknown"}}'],
    [500, 'Internal Server Error'],
    [429, '{"error":{"code":"VELOCITY_LIMITED","message":"slow down"}}'],
  ])(
    'turns HTTP %i into PROVIDER_UNAVAILABLE answered as 503, whatever the body says',
    async (status, body) => {
      script = [{ status, body, headers: { 'retry-after': '7' } }];
      const error = await rejection(client().quote({ service_id: 'registrar:domain', configuration: {} }));
      expect(error).toMatchObject({
        code: 'PROVIDER_UNAVAILABLE',
        httpStatus: 503,
        details: { http_status: status, retry_after: '7' },
      });
    },
  );

  it('answers garbage as INVALID_RESPONSE relayed as 502', async () => {
    script = [{ status: 200, body: '<html>' }];
    await expect(client().health()).rejects.toMatchObject({ code: 'INVALID_RESPONSE', httpStatus: 502 });
    script = [{ status: 200, body: '{"status":"fine"}' }];
    const error = await rejection(client().health());
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE', httpStatus: 502 });
    expect(error.details?.issues).toEqual(expect.arrayContaining([expect.stringMatching(/^provider/)]));
  });

  it.each([
    ['says nothing', 'silent'],
    ['dribbles its answer a byte at a time', 'dribble'],
  ])('gives up on a provider that %s at its deadline, as PROVIDER_UNAVAILABLE', async (_what, path) => {
    const started = Date.now();
    const error = await rejection(client(path, 400).health());
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      httpStatus: 503,
      details: { reason: 'timeout' },
    });
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(2000);
  });

  it('reports an unreachable provider as PROVIDER_UNAVAILABLE relayed as 503, with the reason', async () => {
    const closed = new ProviderClient({
      baseUrl: 'http://127.0.0.1:1/',
      secret: SECRET,
      orchestratorId: 'o',
    });
    await expect(closed.health()).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      httpStatus: 503,
      details: { reason: 'ECONNREFUSED' },
    });
  });

  it('raw() answers any status with the body as sent back, and sends the caller’s bytes verbatim', async () => {
    script = [{ status: 401, body: '{"error":{"code":"INVALID_SIGNATURE","message":"no"}}' }];
    const body = '{"request_id":"req_verbatim_1","note":"naïve"}';
    const response = await client().raw({
      method: 'POST',
      path: 'provisioning/quotes',
      body,
      signature: null,
    });
    expect(response).toMatchObject({ status: 401, json: { error: { code: 'INVALID_SIGNATURE' } } });
    expect(server.received[0]!.raw.equals(Buffer.from(body))).toBe(true);
    expect(server.received[0]!.signature).toBeUndefined();
  });
});
