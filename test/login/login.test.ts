import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestIO, testIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { resolvePaths } from '../../src/core/paths.js';
import { openCredentialStore } from '../../src/credentials/store.js';
import type { LoginRecord } from '../../src/credentials/types.js';
import { launchBrowser } from '../helpers/browser.js';
import { signInWithBrowser } from '../helpers/identity.js';
import { startTestKeyring, type TestBus } from '../helpers/keyring.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sandbox: TestSandbox;
/** Moves the sandbox's clock, to show the orchestrator polls at a pace it calls too fast. */
let clockOffset = 0;
let browser: Browser;
let closeBrowser: () => Promise<void>;
/** Every byte any command printed in this file: no token may ever be in it. */
const printed: string[] = [];
/** Every token any login of this file held. */
const secrets = new Set<string>();

beforeAll(async () => {
  sandbox = await startTestSandbox({ now: () => Date.now() + clockOffset });
  ({ browser, close: closeBrowser } = await launchBrowser());
});

afterAll(async () => {
  await closeBrowser?.();
  await sandbox?.close();
});

interface Home {
  env: NodeJS.ProcessEnv;
}

function fileHome(extra: NodeJS.ProcessEnv = {}): Home {
  const home = mkdtempSync(join(tmpdir(), 'projects-home-'));
  return {
    env: {
      PROJECTS_HOME: home,
      PROJECTS_CREDENTIAL_STORE: 'file',
      PROJECTS_ORCHESTRATOR_URL: sandbox.url,
      ...extra,
    },
  };
}

/** Runs the CLI in-process, as a terminal (`tty`) or as a pipe. */
async function cli(home: Home, argv: string[], options: { tty?: boolean; io?: TestIO } = {}) {
  const io = options.io ?? testIO({ tty: options.tty ?? false });
  const code = await main(argv, { io, env: home.env, cwd: home.env.PROJECTS_HOME! });
  printed.push(io.out(), io.err());
  return { code, out: io.out(), err: io.err(), json: () => JSON.parse(io.out()) };
}

async function storedLogin(home: Home): Promise<LoginRecord | undefined> {
  const store = await openCredentialStore({ env: home.env });
  const login = await store.getLogin(sandbox.url);
  store.close();
  if (login) {
    secrets.add(login.accessToken);
    if (login.refreshToken) secrets.add(login.refreshToken);
  }
  return login;
}

async function me(token: string): Promise<number> {
  return (await fetch(`${sandbox.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status;
}

/** The human's part, in real Chromium: sign in, check the code on the page, press a button. */
async function humanDecides(userCode: string, button: '#approve' | '#deny'): Promise<string | null> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInWithBrowser(page, sandbox, `/device?user_code=${userCode}`);
  expect(await page.textContent('#user-code')).toBe(userCode);
  await Promise.all([page.waitForURL(`${sandbox.url}/device`), page.click(button)]);
  const status = await page.textContent('[role=status]');
  await context.close();
  return status;
}

async function until<T>(probe: () => T | undefined, what: string, deadlineMs = 10_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A login as `projects login` would store it, for tests that are not about logging in (no refresh token). */
async function storeLogin(home: Home): Promise<LoginRecord> {
  const store = await openCredentialStore({ env: home.env });
  await store.saveLogin({
    orchestrator: sandbox.url,
    accessToken: await sandbox.accessToken(),
    scopes: [],
    savedAt: 0,
  });
  store.close();
  return (await storedLogin(home))!;
}

/** A non-interactive `login --json`, confirmed by the human in the browser, finished by `--check`. */
async function loginNonInteractively(home: Home): Promise<LoginRecord> {
  const started = await cli(home, ['login', '--json']);
  const { ref, user_code } = started.json().data;
  expect(await humanDecides(user_code, '#approve')).toContain('signed in');
  expect((await cli(home, ['login', '--check', ref, '--json'])).code).toBe(0);
  return (await storedLogin(home))!;
}

describe('projects login at a terminal (device flow)', () => {
  it('shows the code on stderr, waits for the human in the browser, and stores the login', async () => {
    const home = fileHome();
    const io = testIO({ tty: true });
    const login = cli(home, ['login', '--no-browser', '--debug'], { io });
    const userCode = await until(() => /enter the code ([A-Z]{4}-[A-Z]{4})/.exec(io.err())?.[1], 'the code');
    expect(io.err()).toContain(`open ${sandbox.url}/device`);
    expect(await humanDecides(userCode, '#approve')).toContain('signed in');
    const result = await login;
    expect(result.code).toBe(0);
    expect(result.out).toBe(`Signed in to ${sandbox.url} as ${sandbox.user.email}\n`);
    const stored = await storedLogin(home);
    expect(stored).toMatchObject({ orchestrator: sandbox.url, user: { email: sandbox.user.email } });
    expect(stored?.scopes).toContain('approve');
    expect(await me(stored!.accessToken)).toBe(200);

    const whoami = await cli(home, ['whoami', '--json']);
    expect(whoami.code).toBe(0);
    expect(whoami.json().data).toMatchObject({
      orchestrator: sandbox.url,
      user: { email: sandbox.user.email },
      kind: 'human',
      source: 'file',
    });
    const file = readFileSync(join(resolvePaths(home.env).configDir, 'credentials.enc.json'), 'utf8');
    expect(file).not.toContain(stored!.accessToken);
    expect(file).not.toContain(stored!.refreshToken);
  });
});

describe('projects login --web (authorization code + PKCE, loopback redirect)', () => {
  /** The human in Chromium: open the printed URL, sign in, decide on the consent page. */
  async function humanAuthorizes(url: string, button: '#approve' | '#deny'): Promise<string | null> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const authorize = new URL(url);
    await signInWithBrowser(page, sandbox, authorize.pathname + authorize.search);
    await Promise.all([page.waitForURL(/127\.0\.0\.1:\d+\/callback/), page.click(button)]);
    const text = await page.textContent('p');
    await context.close();
    return text;
  }

  async function startWebLogin(home: Home) {
    const io = testIO({ tty: true });
    const login = cli(home, ['login', '--web', '--no-browser', '--debug'], { io });
    const url = await until(() => /open (http\S+\/oauth\/authorize\S+)/.exec(io.err())?.[1], 'the URL');
    return { login, url };
  }

  it('signs in through the consent page and the loopback listener', async () => {
    const home = fileHome();
    const { login, url } = await startWebLogin(home);
    const authorize = new URL(url).searchParams;
    expect(authorize.get('code_challenge_method')).toBe('S256');
    expect(authorize.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(await humanAuthorizes(url, '#approve')).toContain('Signed in');
    const result = await login;
    expect(result.code).toBe(0);
    expect(result.out).toBe(`Signed in to ${sandbox.url} as ${sandbox.user.email}\n`);
    expect(await me((await storedLogin(home))!.accessToken)).toBe(200);
  });

  it('says so when the human denies it (exit 3)', async () => {
    const home = fileHome();
    const { login, url } = await startWebLogin(home);
    expect(await humanAuthorizes(url, '#deny')).toContain('cancelled');
    const result = await login;
    expect(result.code).toBe(3);
    expect(result.err).toContain('access_denied');
    expect(await storedLogin(home)).toBeUndefined();
  });
});

describe('projects login without a human at the terminal', () => {
  it('returns at once with exit 4, the URL and code, and finishes with --check once confirmed', async () => {
    const home = fileHome();
    const started = await cli(home, ['login', '--json']);
    expect(started.code).toBe(4);
    const envelope = started.json();
    expect(envelope).toMatchObject({ ok: true, command: 'login', data: { status: 'pending' } });
    const { ref, user_code, verification_uri, verification_uri_complete } = envelope.data;
    expect(verification_uri).toBe(`${sandbox.url}/device`);
    expect(verification_uri_complete).toBe(`${sandbox.url}/device?user_code=${user_code}`);
    expect(envelope.next).toEqual([expect.objectContaining({ command: `projects login --check ${ref}` })]);
    const store = await openCredentialStore({ env: home.env });
    const deviceCode = (await store.getPendingLogin(ref))?.deviceCode;
    store.close();
    secrets.add(deviceCode!);

    const pending = await cli(home, ['login', '--check', ref, '--json', '--debug']);
    expect(pending.code).toBe(4);
    expect(pending.json().data).toMatchObject({ status: 'pending', check_interval_seconds: 1 });
    // Checked again "at once" (as the orchestrator's clock sees it): told to slow down, which --check keeps.
    clockOffset = -10_000;
    const tooSoon = await cli(home, ['login', '--check', ref, '--json']);
    clockOffset = 0;
    expect(tooSoon.code).toBe(4);
    expect(tooSoon.json().data).toMatchObject({ status: 'pending', check_interval_seconds: 6 });

    expect(await humanDecides(user_code, '#approve')).toContain('signed in');
    const done = await cli(home, ['login', '--check', ref, '--json']);
    expect(done.code).toBe(0);
    expect(done.json().data).toMatchObject({
      status: 'signed_in',
      user: { email: sandbox.user.email },
      store: 'file',
    });
    expect(await storedLogin(home)).toBeDefined();
    const again = await cli(home, ['login', '--check', ref, '--json']);
    expect(again.code).toBe(1);
    expect(again.json().error.code).toBe('NOT_FOUND');
  });

  it('says clearly when the human denied the login (exit 3)', async () => {
    const home = fileHome();
    const { ref, user_code } = (await cli(home, ['login', '--json'])).json().data;
    expect(await humanDecides(user_code, '#deny')).toContain('denied');
    const denied = await cli(home, ['login', '--check', ref, '--json']);
    expect(denied.code).toBe(3);
    expect(denied.json().error).toMatchObject({ code: 'AUTH_REQUIRED', details: { reason: 'denied' } });
    expect(denied.json().next[0].command).toBe(`projects login --orchestrator ${sandbox.url}`);
    expect(await storedLogin(home)).toBeUndefined();
  });
});

describe('a stored login over time', () => {
  it('refreshes an expiring access token transparently, rotating the refresh token once under concurrency', async () => {
    const home = fileHome();
    const first = await loginNonInteractively(home);
    const store = await openCredentialStore({ env: home.env });
    await store.saveLogin({ ...first, expiresAt: Date.now() });
    store.close();
    // Two commands at once both find the access token expiring: only one may spend the refresh token.
    const [a, b] = await Promise.all([cli(home, ['whoami', '--json']), cli(home, ['whoami', '--json'])]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const renewed = (await storedLogin(home))!;
    expect(renewed.refreshToken).not.toBe(first.refreshToken);
    expect(renewed.accessToken).not.toBe(first.accessToken);
    expect(await me(renewed.accessToken)).toBe(200);
  });

  it('turns a login revoked at the orchestrator into AUTH_REQUIRED (exit 3) with `projects login` next', async () => {
    const home = fileHome();
    const login = await loginNonInteractively(home);
    // Revoking the refresh token ends the whole login: the access token and any refresh are refused.
    const revoke = await fetch(`${sandbox.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: login.refreshToken!, client_id: 'projects-cli' }),
    });
    expect(revoke.status).toBe(200);
    const whoami = await cli(home, ['whoami', '--json', '--debug']);
    expect(whoami.code).toBe(3);
    expect(whoami.json().error.code).toBe('AUTH_REQUIRED');
    expect(whoami.json().next[0].command).toBe(`projects login --orchestrator ${sandbox.url}`);
  });

  it('logout revokes at the orchestrator and deletes the local login', async () => {
    const home = fileHome();
    const login = await storeLogin(home);
    const logout = await cli(home, ['logout', '--json', '--debug']);
    expect(logout.code).toBe(0);
    expect(logout.json().data).toEqual({ orchestrator: sandbox.url, signed_out: true, revoked: true });
    expect(await me(login.accessToken)).toBe(401);
    expect(await storedLogin(home)).toBeUndefined();
    expect((await cli(home, ['whoami', '--json'])).code).toBe(3);
  });
});

describe('the OS keychain', () => {
  let keyring: TestBus;
  beforeAll(async () => {
    keyring = await startTestKeyring();
  });
  afterAll(async () => {
    await keyring?.close();
  });

  it('holds the login when a Secret Service answers, and whoami says so', async () => {
    const home = mkdtempSync(join(tmpdir(), 'projects-home-'));
    const keychainHome = {
      env: { ...keyring.env, PROJECTS_HOME: home, PROJECTS_ORCHESTRATOR_URL: sandbox.url },
    };
    const started = await cli(keychainHome, ['login', '--json']);
    expect(started.err).toContain('Credentials are kept in the OS keychain: the OS keychain answered.');
    const { ref, user_code } = started.json().data;
    expect(await humanDecides(user_code, '#approve')).toContain('signed in');
    expect((await cli(keychainHome, ['login', '--check', ref, '--json'])).json().data.store).toBe('keychain');
    const whoami = await cli(keychainHome, ['whoami', '--json', '--debug']);
    expect(whoami.json().data).toMatchObject({ source: 'keychain', user: { email: sandbox.user.email } });
    expect(await storedLogin(keychainHome)).toBeDefined();
  });
});

describe('precedence', () => {
  it('--token beats PROJECTS_TOKEN beats the stored login', async () => {
    const home = fileHome();
    await storeLogin(home);
    const flag = await sandbox.accessToken(['read']);
    const env = await sandbox.accessToken(['read', 'deploy:preview']);
    secrets.add(flag);
    secrets.add(env);
    const withEnv = { env: { ...home.env, PROJECTS_TOKEN: env } };
    const both = await cli(withEnv, ['whoami', '--json', '--token', flag, '--debug']);
    expect(both.json().data).toMatchObject({ source: 'flag', scopes: ['read'] });
    const onlyEnv = await cli(withEnv, ['whoami', '--json']);
    expect(onlyEnv.json().data).toMatchObject({
      source: 'PROJECTS_TOKEN',
      scopes: ['read', 'deploy:preview'],
    });
    expect((await cli(home, ['whoami', '--json'])).json().data.source).toBe('file');
  });
});

describe('secrets on output paths', () => {
  it('no access token, refresh token or device code was printed by any command above, --debug included', () => {
    const everything = printed.join('\n');
    expect(everything).toContain('debug:');
    expect(secrets.size).toBeGreaterThan(8);
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});
