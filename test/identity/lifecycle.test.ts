import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

// Drives the BUILT binary (`npm run build` first; `npm test` does): `projects sandbox …` spawns the daemon
// from dist/, as a user's machine would.
// Each test spawns daemons; on a loaded CI machine a start can take several seconds.
const TEST_TIMEOUT_MS = 120_000;
const CLI_TIMEOUT_MS = 45_000;
let home: string;
const env = () => ({ PROJECTS_HOME: home });

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'projects-lifecycle-'));
});

afterAll(async () => {
  await runCli(['sandbox', 'stop'], { env: env(), timeoutMs: CLI_TIMEOUT_MS });
  rmSync(home, { recursive: true, force: true });
});

/** The fields of the `sandbox` subcommands' `data` this test reads. */
interface SandboxAnswer {
  orchestrator: { url: string; healthy?: boolean } | null;
  providers: { id: string; healthy: boolean }[];
}

async function sandbox(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const result = await runCli(['sandbox', ...args, '--json'], {
    env: { ...env(), ...extraEnv },
    timeoutMs: CLI_TIMEOUT_MS,
  });
  expect(result.code, result.stderr).toBe(0);
  return { ...result, data: result.json().data as SandboxAnswer };
}

/** Signs in through the real form (CSRF token and cookies included) and returns the session cookie. */
async function webSignIn(url: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${url}/login`);
  const browserCookie = page.headers.getSetCookie()[0]!.split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const response = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browserCookie },
    body: new URLSearchParams({ csrf, email, password }),
  });
  expect(response.status).toBe(303);
  return response.headers.getSetCookie()[0]!.split(';')[0]!;
}

async function whoIs(url: string, cookie: string): Promise<number> {
  return (await fetch(`${url}/v1/me`, { headers: { cookie } })).status;
}

describe('projects sandbox start|status|stop|reset', () => {
  it(
    'starts once, prints the generated password once, and keeps state across stop and start',
    async () => {
      const first = await sandbox(['start', '--port', '0']);
      const url = first.data.orchestrator!.url;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const created = /Created the sandbox user (\S+) with password (\S+)/.exec(first.stderr);
      expect(created).not.toBeNull();
      const [, email, password] = created!;

      const again = await sandbox(['start', '--port', '0']);
      expect(again.data).toMatchObject({ already_running: true, orchestrator: { url } });
      expect(again.stderr).not.toContain(password);

      const status = await sandbox(['status']);
      expect(status.data).toMatchObject({ running: true, orchestrator: { url, healthy: true } });
      expect(status.data.providers.map((provider) => provider.id).sort()).toEqual(['data', 'edge']);
      expect(status.data.providers.every((provider) => provider.healthy)).toBe(true);

      const session = await webSignIn(url, email!, password!);
      expect(await whoIs(url, session)).toBe(200);

      expect((await sandbox(['stop'])).data).toMatchObject({ stopped: true });
      expect((await sandbox(['status'])).data).toMatchObject({ running: false, orchestrator: null });
      await expect(fetch(`${url}/v1/health`)).rejects.toThrow();

      const restarted = await sandbox(['start', '--port', '0']);
      expect(restarted.stderr).not.toContain('Created the sandbox user');
      expect(await whoIs(restarted.data.orchestrator!.url, session)).toBe(200);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'takes the user from the environment, and reset deletes everything',
    async () => {
      expect((await sandbox(['reset', '--yes'])).data).toMatchObject({ reset: true, was_running: true });
      expect(existsSync(join(home, 'data', 'sandbox'))).toBe(false);

      const userEnv = {
        PROJECTS_SANDBOX_USER_EMAIL: 'demo@example.test',
        PROJECTS_SANDBOX_USER_PASSWORD: 'demo-pass-123',
      };
      const started = await sandbox(['start', '--port', '0'], userEnv);
      expect(started.stderr).not.toContain('demo-pass-123');
      const session = await webSignIn(started.data.orchestrator!.url, 'demo@example.test', 'demo-pass-123');
      expect(await whoIs(started.data.orchestrator!.url, session)).toBe(200);
    },
    TEST_TIMEOUT_MS,
  );
});
