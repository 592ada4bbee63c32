import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { parseDuration } from '../../src/core/duration.js';

// Deliberately not shaped like an issued token, so only its registration can redact it.
const SECRET = 'offline-test-token-value-0123456789';

async function run(argv: string[], options: { env?: NodeJS.ProcessEnv; tty?: boolean } = {}) {
  const io = testIO({ tty: options.tty ?? false });
  const home = mkdtempSync(join(tmpdir(), 'projects-home-'));
  const env = { PROJECTS_HOME: home, PROJECTS_CREDENTIAL_STORE: 'file', ...options.env };
  const code = await main(argv, { io, env, cwd: home });
  return { code, out: io.out(), err: io.err() };
}

describe('token create checks its arguments before any network call', () => {
  it.each([
    [['--scope', 'approve'], /cannot carry the scope 'approve'/],
    [['--scope', 'read,bogus'], /cannot carry the scope 'bogus'/],
    [['--scope', 'read', '--expires', 'soon'], /not a duration/],
    [[], /--scope is required/],
  ])('rejects %j as INVALID_ARGUMENT (exit 2)', async (extra, message) => {
    const result = await run(['token', 'create', '--name', 'x', ...extra, '--json']);
    expect(result.code).toBe(2);
    const envelope = JSON.parse(result.out);
    expect(envelope.error.code).toBe('INVALID_ARGUMENT');
    expect(envelope.error.message).toMatch(message);
  });
});

describe('without a credential', () => {
  it('whoami answers AUTH_REQUIRED (exit 3) with `projects login` next', async () => {
    const result = await run(['whoami', '--json'], {
      env: { PROJECTS_ORCHESTRATOR_URL: 'http://127.0.0.1:9/' },
    });
    expect(result.code).toBe(3);
    const envelope = JSON.parse(result.out);
    expect(envelope.error).toMatchObject({
      code: 'AUTH_REQUIRED',
      details: { orchestrator: 'http://127.0.0.1:9' },
    });
    expect(envelope.next[0].command).toBe('projects login --orchestrator http://127.0.0.1:9');
  });

  it('logout says it was not signed in', async () => {
    const result = await run(['logout', '--json'], {
      env: { PROJECTS_ORCHESTRATOR_URL: 'http://127.0.0.1:9' },
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out).data).toEqual({
      orchestrator: 'http://127.0.0.1:9',
      signed_out: false,
      revoked: false,
    });
  });

  it('never prints a --token or PROJECTS_TOKEN, --debug included, when the orchestrator is unreachable', async () => {
    for (const [args, env] of [
      [['--token', SECRET], {}],
      [[], { PROJECTS_TOKEN: SECRET }],
    ] as const) {
      for (const json of [[], ['--json']]) {
        const result = await run(['whoami', '--debug', ...args, ...json], {
          env: { ...env, PROJECTS_ORCHESTRATOR_URL: 'http://127.0.0.1:9' },
        });
        expect(result.code).toBe(8);
        expect(result.err).toContain('debug:');
        expect(result.out + result.err).not.toContain(SECRET);
      }
    }
  });
});

describe('parseDuration', () => {
  it.each([
    ['90m', 5400],
    ['12h', 43_200],
    ['30d', 2_592_000],
    ['1y', 31_536_000],
  ])('%s is %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', '0d', '30', 'd', '-1d', '1.5h'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/not a duration/);
  });
});
