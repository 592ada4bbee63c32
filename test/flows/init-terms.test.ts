import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityStore } from '../../src/sandbox/orchestrator/identity/store.js';
import { ORCHESTRATOR_TERMS } from '../../src/sandbox/orchestrator/identity/terms.js';
import { launchBrowser } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { signInWithBrowser } from '../helpers/identity.js';
import { type RunsSandbox, startRunsSandbox } from '../runs/harness.js';

/**
 * `projects init` (the built binary) for a user who has not accepted the orchestrator's own terms: an agent
 * or CI stops at once with the page and the rerun, nothing is created; once the human accepted on the
 * real page, the same command goes through.
 */
let sandbox: RunsSandbox;
let browser: Browser;
let closeBrowser: () => Promise<void>;
const home = mkdtempSync(join(tmpdir(), 'projects-home-'));
const dir = mkdtempSync(join(tmpdir(), 'projects-app-'));
const termsUrl = () => `${sandbox.url}/terms`;

beforeAll(async () => {
  sandbox = await startRunsSandbox({ orchestratorTermsAccepted: false });
  ({ browser, close: closeBrowser } = await launchBrowser());
}, 30_000);

afterAll(async () => {
  await closeBrowser?.();
  await sandbox?.close();
});

/** The agent's init: --json, stdin a pipe left open (so nothing may wait for it), a token in the env. */
function agentInit() {
  return runCli(['init', 'shop', '--json'], {
    cwd: dir,
    keepStdinOpen: true,
    env: { PROJECTS_HOME: home, PROJECTS_TOKEN: sandbox.human, PROJECTS_ORCHESTRATOR_URL: sandbox.url },
  });
}

/** The projects the orchestrator holds for the test user. */
function projectCount(): number {
  const row = sandbox.db
    .prepare('SELECT COUNT(*) AS count FROM runs_projects WHERE user_id = ?')
    .get(sandbox.user.id) as { count: number };
  return row.count;
}

describe('init and the orchestrator terms', () => {
  it('stops a non-interactive init at once with TOS_REQUIRED, the page and the rerun; nothing is created', async () => {
    const gated = await agentInit();
    expect(gated.code).toBe(4);
    expect(gated.json()).toMatchObject({
      ok: false,
      command: 'init',
      error: {
        code: 'TOS_REQUIRED',
        message: expect.stringContaining('terms of service of the orchestrator'),
        details: { url: termsUrl(), party: 'orchestrator', version: ORCHESTRATOR_TERMS.version },
      },
    });
    const next = (gated.json().next as { command: string }[]).map((step) => step.command);
    expect(next).toEqual([`open ${termsUrl()}`, 'projects init shop --json']);
    expect(readdirSync(dir)).toEqual([]);
    expect(projectCount()).toBe(0);
  });

  it('does not count an acceptance of an earlier version of the terms', async () => {
    await identityStore(sandbox.storage).acceptTerms(
      sandbox.user.id,
      ORCHESTRATOR_TERMS.party,
      '2020-01-01',
      Date.now(),
    );
    const gated = await agentInit();
    expect(gated.code).toBe(4);
    expect(gated.json()).toMatchObject({ error: { code: 'TOS_REQUIRED' } });
    expect(projectCount()).toBe(0);
  });

  it('goes through once the human accepted the terms on the page', async () => {
    const page = await browser.newPage();
    await signInWithBrowser(page, sandbox, '/terms');
    expect(await page.textContent('#terms-version')).toBe(ORCHESTRATOR_TERMS.version);
    await page.click('#accept');
    expect(await page.textContent('[role=status]')).toContain('You accepted version');
    await page.close();

    const done = await agentInit();
    expect(done.code).toBe(0);
    const data = done.json().data as { created: boolean; project: { id: string } };
    expect(data.created).toBe(true);
    const config = JSON.parse(readFileSync(join(dir, 'projects.json'), 'utf8')) as { project_id: string };
    expect(config.project_id).toBe(data.project.id);
    expect(existsSync(join(dir, '.projects'))).toBe(true);
    expect(projectCount()).toBe(1);
  });
});
