import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/core/paths.js';
import { type CredentialStore, openCredentialStore } from '../../src/credentials/store.js';

const ACCESS = 'pat_FileStoreAccessToken0123456789ab';
const REFRESH = 'prt_FileStoreRefreshToken0123456789a';
const DB_URL = 'postgres://user:rsk_FileStoreResourceSecret0123@db/x';

let home: string;
let env: NodeJS.ProcessEnv;

function files() {
  const paths = resolvePaths(env);
  return { data: join(paths.configDir, 'credentials.enc.json'), key: join(paths.dataDir, 'credentials.key') };
}

async function open(registered: string[] = []): Promise<CredentialStore> {
  return openCredentialStore({ env, onSecret: (value) => registered.push(value) });
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'projects-home-'));
  env = { PROJECTS_HOME: home, PROJECTS_CREDENTIAL_STORE: 'file' };
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

describe('the encrypted fallback file', () => {
  it('is 0600, says it is a fallback, keeps its key elsewhere (0600) and holds no token in clear', async () => {
    const store = await open();
    await store.saveLogin({
      orchestrator: 'http://127.0.0.1:4780',
      accessToken: ACCESS,
      refreshToken: REFRESH,
      scopes: ['read'],
      user: { id: 'usr_1', email: 'ada@example.com' },
      savedAt: 1,
    });
    await store.putResourceSecrets('prj_1', { DATABASE_URL: DB_URL });
    const { data, key } = files();
    expect(statSync(data).mode & 0o777).toBe(0o600);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(dirname(key)).not.toBe(dirname(data));
    const text = readFileSync(data, 'utf8');
    const parsed = JSON.parse(text);
    expect(parsed).toMatchObject({ fallback: true, cipher: 'aes-256-gcm' });
    expect(parsed.notice).toMatch(/Fallback credential store.*PROJECTS_CREDENTIAL_STORE is file/);
    for (const secret of [
      ACCESS,
      REFRESH,
      'rsk_FileStoreResourceSecret0123',
      'ada@example.com',
      'DATABASE_URL',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('round-trips logins, pending logins and resource credentials across processes, registering secrets', async () => {
    const first = await open();
    await first.saveLogin({
      orchestrator: 'http://a.test/',
      accessToken: ACCESS,
      refreshToken: REFRESH,
      scopes: [],
      savedAt: 1,
    });
    await first.savePendingLogin({
      ref: 'lgn_1',
      orchestrator: 'http://a.test',
      deviceCode: 'dvc_PendingDeviceCode0123456789',
      userCode: 'ABCD-EFGH',
      verificationUri: 'http://a.test/device',
      interval: 5,
      expiresAt: 10,
    });
    await first.putResourceSecrets('prj_1', { DATABASE_URL: DB_URL, API_KEY: 'rsk_Other0123456789abcdef' });
    const registered: string[] = [];
    const second = await open(registered);
    expect((await second.getLogin('http://a.test'))?.refreshToken).toBe(REFRESH);
    expect((await second.getPendingLogin('lgn_1'))?.userCode).toBe('ABCD-EFGH');
    expect(Object.keys((await second.getResources('prj_1')).values).sort()).toEqual([
      'API_KEY',
      'DATABASE_URL',
    ]);
    await second.putResourceSecrets('prj_1', { API_KEY: 'rsk_Rotated0123456789abcdef' });
    await second.deleteResourceSecrets('prj_1', ['DATABASE_URL']);
    expect(await second.getResourceSecrets('prj_1')).toEqual({ API_KEY: 'rsk_Rotated0123456789abcdef' });
    expect(registered).toEqual(expect.arrayContaining([ACCESS, REFRESH, 'dvc_PendingDeviceCode0123456789']));
    expect(await second.deleteLogin('http://a.test')).toBe(true);
    expect(await second.deleteLogin('http://a.test')).toBe(false);
    expect(await (await open()).getLogin('http://a.test')).toBeUndefined();
  });

  it('refuses a tampered file or a lost key with AUTH_REQUIRED, and a new login starts afresh', async () => {
    const store = await open();
    await store.saveLogin({ orchestrator: 'http://a.test', accessToken: ACCESS, scopes: [], savedAt: 1 });
    const { data, key } = files();
    const parsed = JSON.parse(readFileSync(data, 'utf8'));
    writeFileSync(data, JSON.stringify({ ...parsed, notice: 'not a fallback' }));
    await expect((await open()).getLogin('http://a.test')).rejects.toMatchObject({ code: 'AUTH_REQUIRED' });
    rmSync(key);
    const fresh = await open();
    await expect(fresh.getLogin('http://a.test')).rejects.toMatchObject({ code: 'AUTH_REQUIRED' });
    await fresh.saveLogin({ orchestrator: 'http://b.test', accessToken: ACCESS, scopes: [], savedAt: 2 });
    expect((await (await open()).getLogin('http://b.test'))?.accessToken).toBe(ACCESS);
  });

  it('rejects orchestrator URLs that are not http(s)', async () => {
    const store = await open();
    await expect(store.getLogin('ftp://x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.getLogin('not a url')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('the store notice', () => {
  async function noticesOf(runs: NodeJS.ProcessEnv[]): Promise<string[][]> {
    const told: string[][] = [];
    for (const runEnv of runs) {
      const lines: string[] = [];
      (await openCredentialStore({ env: runEnv, notice: (line) => lines.push(line) })).close();
      told.push(lines);
    }
    return told;
  }

  it('says once which store is used and why, and again only when that changes', async () => {
    const ci = { PROJECTS_HOME: home, CI: 'true' };
    expect(await noticesOf([env, env, ci, ci, env])).toEqual([
      ['Credentials are kept in an encrypted file (fallback): PROJECTS_CREDENTIAL_STORE is file.'],
      [],
      ['Credentials are kept in an encrypted file (fallback): CI is set, so the keychain is never used.'],
      [],
      ['Credentials are kept in an encrypted file (fallback): PROJECTS_CREDENTIAL_STORE is file.'],
    ]);
  });
});
