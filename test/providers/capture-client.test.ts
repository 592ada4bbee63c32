import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/protocol/signing.js';
import { capturePayment } from '../../src/sandbox/providers/framework/payments.js';
import type { ProviderRuntime } from '../../src/sandbox/providers/framework/types.js';
import { type RecordingServer, startRecordingServer } from '../helpers/recording-server.js';

/**
 * A provider redeeming a payment token (framework/payments.ts) through the shared HTTP layer, against a
 * scripted orchestrator: the capture is signed over the exact bytes sent, and each answer lands in the
 * outcome the provider acts on — captured, refused (release the reservation), or unknown (keep it and retry
 * with the same key: the money may have moved).
 */
const SECRET = 'whsec_capture_test';
type Scripted = { status: number; body: string };

let server: RecordingServer;
let origin: string;
let script: Scripted[] = [];

beforeAll(async () => {
  server = await startRecordingServer((res) => {
    const next = script.shift() ?? {
      status: 200,
      body: '{"capture_id":"cap_1","amount":1200,"currency":"usd","replayed":false}',
    };
    res.writeHead(next.status, { 'content-type': 'application/json' }).end(next.body);
  });
  origin = server.url;
});
afterAll(() => server.close());
beforeEach(() => {
  script = [];
  server.received.length = 0;
});

const runtime = (orchestratorUrl: () => string) =>
  ({ id: 'edge', now: () => Date.now(), orchestratorUrl }) as unknown as ProviderRuntime;

const capture = (url = `${origin}/v1/provider/captures`) =>
  capturePayment(
    runtime(() => origin),
    SECRET,
    url,
    {
      token: 'spt_test',
      amount: 1200,
      currency: 'usd',
      idempotency_key: 'idk_capture_0001',
      description: 'café.dev — 1 year',
    },
  );

describe('capturing a payment at the orchestrator', () => {
  it('signs the exact bytes it sends, as this provider, to the capture URL’s path', async () => {
    await expect(capture()).resolves.toMatchObject({ kind: 'captured', capture: { capture_id: 'cap_1' } });
    const [request] = server.received;
    const body = request!.raw.toString('utf8');
    expect(verifySignature({ secret: SECRET, header: request!.signature, body }).ok).toBe(true);
    expect(JSON.parse(body)).toMatchObject({
      description: 'café.dev — 1 year',
      request_id: expect.any(String),
    });
    expect(request!.headers['projects-provider']).toBe('edge');
    expect(request!.path).toBe('/v1/provider/captures');
  });

  it('passes a refusal on with the orchestrator’s code and status', async () => {
    script = [{ status: 402, body: '{"error":{"code":"CAP_EXCEEDED","message":"monthly cap reached"}}' }];
    const outcome = await capture();
    expect(outcome.kind).toBe('refused');
    expect(outcome).toMatchObject({
      error: {
        code: 'CAP_EXCEEDED',
        httpStatus: 402,
        message: 'payment capture refused: monthly cap reached',
      },
    });
  });

  it.each([
    ['a 5xx, whatever its body says', { status: 500, body: '{"error":{"code":"FROZEN","message":"?"}}' }],
    ['a 4xx that names no reason', { status: 404, body: 'Not Found' }],
    ['a 2xx that is not a capture', { status: 200, body: '{"ok":true}' }],
  ])('treats %s as an unknown outcome (the money may have moved)', async (_what, answer) => {
    script = [answer];
    const outcome = await capture();
    expect(outcome).toMatchObject({
      kind: 'unknown',
      error: { code: 'ORCHESTRATOR_UNAVAILABLE', httpStatus: 503 },
    });
  });

  it('treats an unreachable orchestrator as an unknown outcome', async () => {
    const closed = 'http://127.0.0.1:1';
    const outcome = await capturePayment(
      runtime(() => closed),
      SECRET,
      `${closed}/v1/provider/captures`,
      {
        token: 'spt_test',
        amount: 1,
        currency: 'usd',
        idempotency_key: 'idk_capture_0002',
      },
    );
    expect(outcome).toMatchObject({ kind: 'unknown', error: { code: 'ORCHESTRATOR_UNAVAILABLE' } });
    expect(outcome.kind === 'unknown' && outcome.error.message).toMatch(
      /retry with the same idempotency_key/,
    );
  });
});
