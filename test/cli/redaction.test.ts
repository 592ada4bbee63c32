import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redactor } from '../../src/core/redact.js';
import { ProjectsError } from '../../src/protocol/errors.js';
import { newSecret } from '../../src/protocol/secrets.js';
import { testFactory } from '../helpers/factory.js';

const TOKEN = 'correct-horse-battery-staple-42';
const CARD = '4242 4242 4242 4242';

describe('Redactor', () => {
  it('redacts registered values, token-shaped values, bearer credentials and card numbers', () => {
    const redactor = new Redactor();
    redactor.register(TOKEN);
    const issued = newSecret('ptok');
    const text = `t=${TOKEN} issued=${issued} Authorization: Bearer abcdefghijklmnop card=${CARD} raw=4000056655665556`;
    const out = redactor.redact(text);
    for (const secret of [TOKEN, issued, 'abcdefghijklmnop', CARD, '4000056655665556']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('Bearer [redacted]');
  });

  it('leaves ordinary numbers and short values alone', () => {
    const redactor = new Redactor();
    redactor.register('abc');
    expect(redactor.redact('order 1234567890123 costs 1500 abc')).toBe('order 1234567890123 costs 1500 abc');
  });

  it('redacts inside nested JSON values, keeping allowed values', () => {
    const redactor = new Redactor();
    redactor.register(TOKEN);
    const shown = newSecret('ptok');
    const out = redactor.redactDeep({ a: [{ b: `x${TOKEN}` }], shown }, new Set([shown]));
    expect(out).toEqual({ a: [{ b: 'x[redacted]' }], shown });
  });
});

describe('redaction on every output path', () => {
  let server: ReturnType<typeof createServer>;
  let url: string;
  let seen: IncomingHttpHeaders = {};
  beforeAll(async () => {
    server = createServer((request, response) => {
      seen = request.headers;
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ error: { code: 'AUTH_REQUIRED', message: `token ${TOKEN} was revoked` } }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  for (const json of [true, false]) {
    it(`keeps a token out of stdout, stderr and --debug logs (${json ? 'json' : 'human'})`, async () => {
      const { factory, io } = testFactory({ globals: { json, debug: true, token: TOKEN } });
      const client = factory.http(url, TOKEN);
      const error = await client.get('/v1/me').catch((caught: unknown) => caught as ProjectsError);
      expect(error).toBeInstanceOf(ProjectsError);
      expect(seen.authorization).toBe(`Bearer ${TOKEN}`); // it did reach the server
      factory.output.warn(`retrying with ${TOKEN}`);
      await factory.output.failure(error as ProjectsError);
      const everything = io.out() + io.err();
      expect(everything).toContain('[redacted]');
      expect(everything).not.toContain(TOKEN);
      expect(io.err()).toContain('debug: → GET');
    });
  }

  it('redacts secrets echoed back in usage errors', async () => {
    const { main } = await import('../../src/cli/main.js');
    const { testIO } = await import('../../src/cli/io.js');
    const io = testIO();
    // An unknown flag value is echoed by commander; the envelope must not leak a token-shaped value.
    const secret = newSecret('pat');
    const code = await main(['provision', 'x/y', '--json', `--bogus=${secret}`], { io, env: {} });
    expect(code).toBe(2);
    expect(io.out() + io.err()).not.toContain(secret);
  });
});
