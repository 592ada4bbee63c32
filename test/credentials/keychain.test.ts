import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/core/paths.js';
import { KeychainBackend } from '../../src/credentials/keychain.js';
import { openCredentialStore } from '../../src/credentials/store.js';
import { noBusEnv, startSilentBus, startTestKeyring, type TestBus } from '../helpers/keyring.js';

const TOKEN = 'pat_KeychainTestToken0123456789abcdef';

function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'projects-home-'));
}

describe('the OS keychain through gnome-keyring on a private D-Bus', () => {
  let keyring: TestBus;
  beforeAll(async () => {
    keyring = await startTestKeyring();
  });
  afterAll(async () => {
    await keyring.close();
  });

  it('is chosen by the probe, keeps logins per orchestrator and writes no credential file', async () => {
    const home = tempHome();
    const env = { ...keyring.env, PROJECTS_HOME: home };
    const notices: string[] = [];
    const store = await openCredentialStore({ env, notice: (line) => notices.push(line) });
    expect(store.kind).toBe('keychain');
    expect(notices).toEqual(['Credentials are kept in the OS keychain: the OS keychain answered.']);
    await store.saveLogin({
      orchestrator: 'http://127.0.0.1:4780/',
      accessToken: TOKEN,
      scopes: ['read'],
      savedAt: 1,
    });
    await store.saveLogin({
      orchestrator: 'https://orch.example',
      accessToken: `${TOKEN}2`,
      scopes: [],
      savedAt: 2,
    });
    store.close();

    const again = await openCredentialStore({ env, notice: (line) => notices.push(line) });
    expect(notices).toHaveLength(1);
    expect((await again.getLogin('http://127.0.0.1:4780'))?.accessToken).toBe(TOKEN);
    expect((await again.getLogin('https://orch.example/'))?.accessToken).toBe(`${TOKEN}2`);
    expect(await again.deleteLogin('http://127.0.0.1:4780')).toBe(true);
    expect(await again.getLogin('http://127.0.0.1:4780')).toBeUndefined();
    again.close();
    const decision = readFileSync(join(resolvePaths(env).configDir, 'credential-store.json'), 'utf8');
    expect(decision).not.toContain(TOKEN);
    rmSync(home, { recursive: true, force: true });
  });

  it('serves many calls from one helper process quickly', async () => {
    const keychain = new KeychainBackend({ env: keyring.env, timeoutMs: 5000, service: 'projects-cli-test' });
    const started = performance.now();
    await keychain.set('a', 'one');
    const first = performance.now() - started;
    const before = performance.now();
    for (let i = 0; i < 5; i++) expect(await keychain.get('a')).toBe('one');
    const perCall = (performance.now() - before) / 5;
    expect(await keychain.delete('a')).toBe(true);
    expect(await keychain.get('a')).toBeUndefined();
    keychain.close();
    // The spawn is paid once; later calls are D-Bus round trips.
    expect(perCall).toBeLessThan(first);
    expect(perCall).toBeLessThan(100);
  });
});

describe('without a usable keychain', () => {
  it('falls back to the encrypted file when there is no D-Bus at all', async () => {
    const home = tempHome();
    const notices: string[] = [];
    const store = await openCredentialStore({
      env: { ...noBusEnv(), PROJECTS_HOME: home },
      notice: (l) => notices.push(l),
    });
    expect(store.kind).toBe('file');
    expect(notices[0]).toMatch(
      /^Credentials are kept in an encrypted file \(fallback\): no OS keychain is usable/,
    );
    rmSync(home, { recursive: true, force: true });
  });

  it('gives up on a Secret Service that never answers within the timeout', async () => {
    const silent = await startSilentBus();
    const home = tempHome();
    const env = { ...silent.env, PROJECTS_HOME: home, PROJECTS_KEYCHAIN_TIMEOUT_MS: '400' };
    const started = performance.now();
    const store = await openCredentialStore({ env });
    const elapsed = performance.now() - started;
    expect(store.kind).toBe('file');
    expect(store.reason).toMatch(/did not answer within 400 ms/);
    expect(elapsed).toBeLessThan(3000);
    await silent.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('turns a keychain that hangs after it was chosen into AUTH_REQUIRED, not a hang', async () => {
    const silent = await startSilentBus();
    const home = tempHome();
    const env = {
      ...silent.env,
      PROJECTS_HOME: home,
      PROJECTS_KEYCHAIN_TIMEOUT_MS: '300',
      PROJECTS_CREDENTIAL_STORE: 'keychain',
    };
    const store = await openCredentialStore({ env });
    const started = performance.now();
    await expect(store.getLogin('http://127.0.0.1:1')).rejects.toMatchObject({
      code: 'AUTH_REQUIRED',
      next: [expect.objectContaining({ command: 'PROJECTS_CREDENTIAL_STORE=file projects login' })],
    });
    expect(performance.now() - started).toBeLessThan(3000);
    await silent.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('never touches the keychain when CI is set', async () => {
    const silent = await startSilentBus();
    const home = tempHome();
    // A keychain probe against the silent bus would take the full (long) timeout.
    const env = { ...silent.env, CI: 'true', PROJECTS_HOME: home, PROJECTS_KEYCHAIN_TIMEOUT_MS: '20000' };
    const started = performance.now();
    const store = await openCredentialStore({ env });
    expect(store.kind).toBe('file');
    expect(store.reason).toBe('CI is set, so the keychain is never used');
    expect(performance.now() - started).toBeLessThan(500);
    await silent.close();
    rmSync(home, { recursive: true, force: true });
  });
});
