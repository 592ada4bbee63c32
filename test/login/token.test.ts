import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestIO, testIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { openCredentialStore } from '../../src/credentials/store.js';
import { TOKEN_PREFIXES } from '../../src/protocol/oauth.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sandbox: TestSandbox;
let env: NodeJS.ProcessEnv;
const printed: string[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const home = mkdtempSync(join(tmpdir(), 'projects-home-'));
  env = { PROJECTS_HOME: home, PROJECTS_CREDENTIAL_STORE: 'file', PROJECTS_ORCHESTRATOR_URL: sandbox.url };
  // A completed `projects login` of the sandbox's human (the login itself is tested in login.test.ts).
  const store = await openCredentialStore({ env });
  await store.saveLogin({
    orchestrator: sandbox.url,
    accessToken: sandbox.accessToken(),
    scopes: [],
    savedAt: 0,
  });
});

afterAll(async () => {
  await sandbox?.close();
});

async function cli(argv: string[], options: { io?: TestIO; env?: NodeJS.ProcessEnv } = {}) {
  const io = options.io ?? testIO();
  const code = await main(argv, { io, env: { ...env, ...options.env }, cwd: env.PROJECTS_HOME! });
  printed.push(io.out(), io.err());
  return { code, out: io.out(), err: io.err(), json: () => JSON.parse(io.out()) };
}

/** Answers the typed confirmation once the prompt is on the (fake) terminal. */
async function typeWhenAsked(io: TestIO, answer: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!io.err().includes("Type the token's name")) {
    if (Date.now() > deadline) throw new Error(`no prompt; stderr so far: ${io.err()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  io.type(answer);
}

async function createAtTerminal(args: string[], answer: string) {
  const io = testIO({ tty: true });
  const [result] = await Promise.all([
    cli(['token', 'create', ...args, '--debug'], { io }),
    typeWhenAsked(io, answer),
  ]);
  return result;
}

describe('projects token', () => {
  let created: { id: string; token: string };

  it('creates a scoped token at a terminal after the typed confirmation, printing it once on stdout only', async () => {
    const result = await createAtTerminal(
      ['--name', 'ci', '--scope', 'read,deploy:preview', '--expires', '30d'],
      'ci',
    );
    expect(result.code).toBe(0);
    const token = result.out.trim();
    expect(token.startsWith(`${TOKEN_PREFIXES.apiToken}_`)).toBe(true);
    expect(result.out).toBe(`${token}\n`);
    expect(result.err).toContain('debug: → POST');
    expect(result.err).not.toContain(token);
    const list = (await cli(['token', 'list', '--json'])).json().data.tokens;
    expect(list).toEqual([
      expect.objectContaining({ name: 'ci', scopes: ['read', 'deploy:preview'], revoked_at: null }),
    ]);
    created = { id: list[0].id, token };
  });

  it('refuses when the confirmation does not match, creating nothing', async () => {
    const result = await createAtTerminal(['--name', 'deploy-bot', '--scope', 'read'], 'yes');
    expect(result.code).toBe(1);
    expect(result.err).toContain('APPROVAL_DENIED');
    const names = (await cli(['token', 'list', '--json']))
      .json()
      .data.tokens.map((t: { name: string }) => t.name);
    expect(names).toEqual(['ci']);
  });

  it('lets a CI job use it through PROJECTS_TOKEN, with its scopes only and no way to mint more', async () => {
    const ci = {
      CI: 'true',
      PROJECTS_TOKEN: created.token,
      PROJECTS_HOME: mkdtempSync(join(tmpdir(), 'ci-')),
    };
    const whoami = await cli(['whoami', '--json', '--debug'], { env: ci });
    expect(whoami.code).toBe(0);
    expect(whoami.json().data).toMatchObject({
      kind: 'token',
      source: 'PROJECTS_TOKEN',
      scopes: ['read', 'deploy:preview'],
      credential: { type: 'api_token', id: created.id },
    });
    const mint = await cli(['token', 'create', '--name', 'x', '--scope', 'read', '--json'], {
      env: ci,
      io: testIO({ tty: true }),
    });
    expect(mint.code).toBe(4);
    expect(mint.json().error.code).toBe('HUMAN_REQUIRED');
  });

  it('revokes it; the orchestrator then refuses it', async () => {
    const revoked = await cli(['token', 'revoke', created.id, '--json']);
    expect(revoked.code).toBe(0);
    expect(revoked.json().data).toEqual({ id: created.id, revoked: true });
    const whoami = await cli(['whoami', '--json'], { env: { PROJECTS_TOKEN: created.token } });
    expect(whoami.code).toBe(3);
    expect(whoami.json().error.code).toBe('AUTH_REQUIRED');
    const again = await cli(['token', 'revoke', created.id, '--json']);
    expect(again.json().error.code).toBe('NOT_FOUND');
  });

  it('printed the token value nowhere but the one stdout of its creation', () => {
    const occurrences = printed.filter((text) => text.includes(created.token));
    expect(occurrences).toEqual([`${created.token}\n`]);
  });
});
