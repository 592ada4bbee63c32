import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderClient } from '../../src/client/provider-client.js';
import { verifySignature } from '../../src/protocol/signing.js';

/** A provider that misbehaves on purpose: the client must turn every failure into a ProjectsError. */
describe('provider client against a misbehaving provider', () => {
  let server: Server;
  let base: string;
  const seen: { signatureOk: boolean; orchestrator: string | undefined; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        const signature = request.headers['projects-signature'];
        seen.push({
          signatureOk: verifySignature({ secret: 'whsec_client_test', header: signature as string, body }).ok,
          orchestrator: request.headers['projects-orchestrator'] as string | undefined,
          body,
        });
        const path = request.url ?? '';
        if (path.endsWith('/garbage/provisioning/health')) return response.end('<html>not json</html>');
        if (path.endsWith('/wrong-shape/provisioning/health')) return response.end('{"status":"fine"}');
        if (path.endsWith('/crash/provisioning/health')) {
          response.statusCode = 500;
          return response.end('{"error":{"code":"INTERNAL","message":"boom"}}');
        }
        if (path.endsWith('/slow/provisioning/health')) return; // never answers
        if (path.endsWith('/refuse/provisioning/quotes')) {
          response.statusCode = 409;
          return response.end(
            '{"error":{"code":"QUOTE_EXPIRED","message":"too late","details":{"quote":"qt_1"}}}',
          );
        }
        response.end(
          JSON.stringify({ status: 'ok', provider: { id: 'p', name: 'P' }, protocol_version: '1' }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const client = (path: string, timeoutMs = 2000) =>
    new ProviderClient({
      baseUrl: `${base}/${path}`,
      secret: 'whsec_client_test',
      orchestratorId: 'orch_1',
      timeoutMs,
    });

  it('signs every request and adds a fresh request_id to every POST body', async () => {
    await client('ok').health();
    await client('ok').raw({ method: 'GET', path: 'provisioning/health' });
    await client('refuse')
      .quote({ service_id: 'a:b', configuration: {} })
      .catch(() => {});
    await client('refuse')
      .quote({ service_id: 'a:b', configuration: {} })
      .catch(() => {});
    expect(seen.every((request) => request.signatureOk && request.orchestrator === 'orch_1')).toBe(true);
    const ids = seen.filter((request) => request.body).map((request) => JSON.parse(request.body).request_id);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
  });

  it.each([
    ['garbage', 'INVALID_RESPONSE'],
    ['wrong-shape', 'INVALID_RESPONSE'],
    ['crash', 'PROVIDER_UNAVAILABLE'],
  ])('maps a %s answer to %s', async (path, code) => {
    await expect(client(path).health()).rejects.toMatchObject({ name: 'ProjectsError', code });
  });

  it('keeps the provider’s error code and details', async () => {
    await expect(client('refuse').quote({ service_id: 'a:b', configuration: {} })).rejects.toMatchObject({
      code: 'QUOTE_EXPIRED',
      message: 'too late',
      details: { quote: 'qt_1' },
    });
  });

  it('times out a provider that never answers, and reports an unreachable one', async () => {
    await expect(client('slow', 300).health()).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      details: { reason: 'timeout' },
    });
    const closed = new ProviderClient({ baseUrl: 'http://127.0.0.1:1/', secret: 'x', orchestratorId: 'o' });
    await expect(closed.health()).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
  });
});
