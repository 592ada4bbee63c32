import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/core/paths.js';
import { openCredentialStore } from '../../src/credentials/store.js';
import { TOKEN_PREFIXES } from '../../src/protocol/oauth.js';
import { runCli } from '../helpers/cli.js';
import { startSilentBus, type TestBus } from '../helpers/keyring.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

function home(): string {
  return mkdtempSync(join(tmpdir(), 'projects-home-'));
}

describe('the built binary', () => {
  it('runs a CI job on PROJECTS_TOKEN alone: no keychain, no store, no prompt, no token printed', async () => {
    const dir = home();
    const token = await sandbox.accessToken(['read', 'deploy:preview']);
    const result = await runCli(['whoami', '--json', '--debug'], {
      env: { CI: 'true', PROJECTS_HOME: dir, PROJECTS_TOKEN: token, PROJECTS_ORCHESTRATOR_URL: sandbox.url },
    });
    expect(result.code).toBe(0);
    expect(result.json().data).toMatchObject({
      source: 'PROJECTS_TOKEN',
      scopes: ['read', 'deploy:preview'],
    });
    expect(result.stderr).toContain('debug: → GET');
    expect(result.stdout + result.stderr).not.toContain(token);
    // The credential store was never opened, let alone a keychain probed.
    expect(existsSync(resolvePaths({ PROJECTS_HOME: dir }).configDir)).toBe(false);
  });

  it('falls back to the encrypted file at once when there is no D-Bus at all', async () => {
    const dir = home();
    const result = await runCli(['login', '--json'], {
      env: {
        PROJECTS_HOME: dir,
        PROJECTS_ORCHESTRATOR_URL: sandbox.url,
        XDG_RUNTIME_DIR: join(dir, 'no-runtime'),
      },
    });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(
      'Credentials are kept in an encrypted file (fallback): no OS keychain is usable',
    );
    const { ref } = result.json().data as { ref: string };
    const env = { PROJECTS_HOME: dir, PROJECTS_CREDENTIAL_STORE: 'file' };
    const store = await openCredentialStore({ env });
    const deviceCode = (await store.getPendingLogin(ref))?.deviceCode;
    expect(deviceCode?.startsWith(`${TOKEN_PREFIXES.deviceCode}_`)).toBe(true);
    const file = join(resolvePaths(env).configDir, 'credentials.enc.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toContain(deviceCode!);
    expect(result.stdout + result.stderr).not.toContain(deviceCode!);
  });

  describe('with a Secret Service that never answers', () => {
    let silent: TestBus;
    beforeAll(async () => {
      silent = await startSilentBus();
    });
    afterAll(async () => {
      await silent?.close();
    });

    it('gives up on it within the timeout and carries on with the file store', async () => {
      // A hang would be killed by runCli's own timeout and fail the test; the message shows which timeout acted.
      const result = await runCli(['login', '--json'], {
        env: {
          PROJECTS_HOME: home(),
          PROJECTS_ORCHESTRATOR_URL: sandbox.url,
          DBUS_SESSION_BUS_ADDRESS: silent.env.DBUS_SESSION_BUS_ADDRESS,
          PROJECTS_KEYCHAIN_TIMEOUT_MS: '500',
        },
      });
      expect(result.code).toBe(4);
      expect(result.stderr).toMatch(/encrypted file \(fallback\): .*did not answer within 500 ms/);
    });
  });
});
