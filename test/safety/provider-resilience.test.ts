import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/client/breaker.js';
import { ProviderClient } from '../../src/client/provider-client.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { rejection } from '../helpers/rejection.js';

/**
 * The orchestrator's signed provider client with safety's resilience layer, against a scripted
 * provider on loopback: which calls are retried, with what waits, and when the breaker stops calling.
 */
type Scripted = { status: number; body: unknown; headers?: Record<string, string> };

const resource = {
  id: 'res_1',
  service_id: 'registrar:domain',
  status: 'active',
  configuration: {},
  details: {},
  billing: {
    status: 'paid',
    amount: 1200,
    currency: 'usd',
    billing: 'one_time',
    interval: null,
    refundable: false,
    capture_id: 'cap_1',
  },
  created_at: '2026-12-04T12:00:00Z',
  updated_at: '2026-12-04T12:00:00Z',
};
const health = { status: 'ok', provider: { id: 'edge', name: 'Edge' }, protocol_version: '2026-12-01' };
const down: Scripted = { status: 503, body: { error: { code: 'PROVIDER_UNAVAILABLE', message: 'down' } } };

let server: Server;
let script: Scripted[] = [];
let seen: { method: string; signature: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({ method: req.method!, signature: String(req.headers['projects-signature']), body });
    const next = script.shift() ?? { status: 200, body: req.method === 'GET' ? health : resource };
    res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
    res.end(typeof next.body === 'string' ? next.body : JSON.stringify(next.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  script = [];
  seen = [];
});

function client(clock: FakeClock, breaker = new CircuitBreaker('edge', { clock })) {
  const { port } = server.address() as AddressInfo;
  return new ProviderClient({
    baseUrl: `http://127.0.0.1:${port}/providers/edge/`,
    secret: 'whsec_test',
    orchestratorId: 'orch_test',
    resilience: { breaker, clock },
  });
}

const create = { service_id: 'registrar:domain', idempotency_key: 'idk_0123456789abcdef' };

describe('provider client with resilience', () => {
  it('retries a keyed POST as fresh requests (new request_id and signature) honouring Retry-After', async () => {
    const clock = new FakeClock(undefined, 0);
    script = [
      { ...down, headers: { 'retry-after': '2' } },
      { status: 500, body: 'Internal Server Error' },
    ];
    const created = await client(clock).createResource('acct_token', create);
    expect(created.id).toBe('res_1');
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((request) => JSON.parse(request.body).request_id)).size).toBe(3);
    expect(new Set(seen.map((request) => JSON.parse(request.body).idempotency_key))).toEqual(
      new Set([create.idempotency_key]),
    );
    expect(clock.sleeps[0]).toBe(2000);
  });

  it('retries GETs and garbage answers, but not a POST without an idempotency key', async () => {
    const clock = new FakeClock();
    script = [down, { status: 200, body: 'not json at all' }];
    await expect(client(clock).health()).resolves.toMatchObject({ status: 'ok' });
    expect(seen).toHaveLength(3);
    seen = [];
    script = [down];
    const error = await rejection(client(clock).quote({ service_id: 'registrar:domain', configuration: {} }));
    expect(error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', exitCode: 8 });
    expect(seen).toHaveLength(1);
  });

  it('never retries a payment refusal from the provider', async () => {
    const clock = new FakeClock();
    script = [{ status: 402, body: { error: { code: 'PAYMENT_DECLINED', message: 'declined' } } }];
    const error = await rejection(client(clock).createResource('acct_token', create));
    expect(error).toMatchObject({ code: 'PAYMENT_DECLINED', exitCode: 5 });
    expect(seen).toHaveLength(1);
  });

  it('opens the breaker after repeated failures and then refuses without calling the provider', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker('edge', { failureThreshold: 3, coolDownMs: 60_000, clock });
    script = Array.from({ length: 10 }, () => down);
    const error = await rejection(client(clock, breaker).createResource('acct_token', create));
    expect(seen).toHaveLength(3);
    expect(error.message).toMatch(/edge failed 3 times in a row; not calling it again until .* \(in 60 s\)/);
    const refused = await rejection(client(clock, breaker).health());
    expect(refused).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', details: { retry_after: 60 } });
    expect(seen).toHaveLength(3);
    clock.advance(60_000);
    script = [];
    await expect(client(clock, breaker).health()).resolves.toMatchObject({ status: 'ok' });
    expect(breaker.state).toBe('closed');
  });
});
