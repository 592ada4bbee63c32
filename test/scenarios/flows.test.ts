import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCredentialStore } from '../../src/credentials/store.js';
import { SCOPES } from '../../src/protocol/scopes.js';
import { launchBrowser } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { signInWithBrowser } from '../helpers/identity.js';
import { runAtTerminal } from '../helpers/terminal.js';
import { type RunsSandbox, startRunsSandbox } from '../runs/harness.js';

/**
 * The three users of issue 6, each driving the real built binary against a real sandbox over HTTP:
 * the developer at a pseudo-terminal answering prompts, the coding agent that must stop at the approval
 * and go on once the human approved in the browser, and CI with a narrowly scoped token.
 */
let sandbox: RunsSandbox;
let browser: Browser;
let closeBrowser: () => Promise<void>;
let project: string;
let home: string;

beforeAll(async () => {
  // A new user: the orchestrator's own terms are the first gate they meet, at init.
  sandbox = await startRunsSandbox({ orchestratorTermsAccepted: false });
  ({ browser, close: closeBrowser } = await launchBrowser());
  home = mkdtempSync(join(tmpdir(), 'projects-home-'));
  project = mkdtempSync(join(tmpdir(), 'projects-shop-'));
  // The developer signed in earlier (`projects login` has its own tests): their login is in the store.
  const store = await openCredentialStore({ env: developerEnv() });
  await store.saveLogin({
    orchestrator: sandbox.url,
    accessToken: sandbox.human,
    scopes: [...SCOPES],
    user: { id: sandbox.user.id, email: sandbox.user.email },
    savedAt: Date.now(),
  });
}, 60_000);

afterAll(async () => {
  await closeBrowser?.();
  await sandbox?.close();
});

function developerEnv(): NodeJS.ProcessEnv {
  return { PROJECTS_HOME: home, PROJECTS_CREDENTIAL_STORE: 'file' };
}

/** The human, in headless Chromium: signs in and lands on `path`. */
async function humanAt(path: string): Promise<Page> {
  const page = await browser.newPage();
  await signInWithBrowser(page, sandbox, path);
  return page;
}

describe('the developer at a terminal', () => {
  it('inits a project from a template and buys a paid store, deciding every gate', async () => {
    const init = runAtTerminal(['init', 'shop', '--template', 'static', '--orchestrator', sandbox.url], {
      env: developerEnv(),
      cwd: project,
    });
    // The orchestrator's terms: the page, then Enter at the terminal, and init goes on by itself.
    await init.waitFor(/terms of service[\s\S]*\/terms\n[\s\S]*press Enter when done/);
    const orchestratorTerms = await humanAt('/terms');
    await orchestratorTerms.click('#accept');
    await orchestratorTerms.waitForSelector('[role=status]');
    init.answer('');
    await init.waitFor(/Created project shop \(prj_\w+\)/);
    expect(await init.exit).toBe(0);
    expect(existsSync(join(project, 'public/index.html'))).toBe(true);
    expect(readFileSync(join(project, 'AGENTS.md'), 'utf8')).toContain('.agents/skills/projects/SKILL.md');

    const provision = runAtTerminal(['provision', 'data/kv:pro', '--name', 'cache'], {
      env: developerEnv(),
      cwd: project,
    });
    await provision.waitFor(/This needs your approval/);
    await provision.waitFor(/refundable\s+no — this cannot be undone/);
    await provision.waitFor(/Type cache exactly to approve/);
    provision.answer('cache');
    // Provider terms, then a card: each a page the human visits, then Enter at the terminal.
    await provision.waitFor(/terms of service[\s\S]*\/terms\/data[\s\S]*press Enter when done/);
    const terms = await humanAt('/terms/data');
    await terms.click('#accept');
    provision.answer('');
    await provision.waitFor(/payment method[\s\S]*\/billing[\s\S]*press Enter when done/);
    const billing = await humanAt('/billing');
    await billing.fill('#number', '4242 4242 4242 4242');
    await billing.fill('#expiry', '12/30');
    await billing.fill('#cvc', '123');
    await Promise.all([billing.waitForLoadState(), billing.click('#add-card')]);
    await billing.waitForSelector('#cards');
    provision.answer('');
    await provision.waitFor(/Provisioned data\/kv:pro cache \(res_\w+\)/);
    await provision.waitFor(/credentials\s+KV_REST_API_TOKEN, KV_REST_API_URL/);
    expect(await provision.exit).toBe(0);
    expect(provision.screen()).not.toMatch(/kv_[A-Za-z0-9]{16,}/);
  }, 120_000);
});

describe('the coding agent', () => {
  it('stops at APPROVAL_REQUIRED, and goes on once the human approved in the browser — buying once', async () => {
    const token = await sandbox.agentToken(['read', 'provision:free', 'provision:paid']);
    const env = { ...developerEnv(), PROJECTS_TOKEN: token, CLAUDECODE: '1' };
    const shown = await runCli(['catalog', 'show', 'data/kv:pro', '--json'], { env, cwd: project });
    expect(shown.code).toBe(0);
    expect(shown.json()).toMatchObject({
      ok: true,
      command: 'catalog show',
      data: { ref: 'data/kv:pro', pricing: { type: 'paid', amount: 900, refundable: false } },
    });

    const args = ['provision', 'data/kv:pro', '--name', 'jobs', '--json'];
    const gated = await runCli(args, { env, cwd: project });
    expect(gated.code).toBe(4);
    const envelope = gated.json() as {
      ok: boolean;
      error: { code: string; details: { approval_id: string; url: string } };
      next: { command: string }[];
    };
    expect(envelope).toMatchObject({ ok: false, command: 'provision', error: { code: 'APPROVAL_REQUIRED' } });
    const { approval_id: approvalId, url } = envelope.error.details;
    expect(url).toBe(`${sandbox.url}/approvals/${approvalId}`);
    expect(envelope.next.map((step) => step.command)).toEqual([
      `projects approve ${approvalId}`,
      'projects provision data/kv:pro --name jobs --json',
    ]);

    // The agent cannot approve it, by any means it has.
    const approve = await runCli(['approve', approvalId, '--json'], { env, cwd: project });
    expect(approve.code).toBe(4);
    expect(approve.json()).toMatchObject({ ok: false, error: { code: 'HUMAN_REQUIRED' } });

    const page = await humanAt(`/approvals/${approvalId}`);
    expect(await page.textContent('#refundable')).toContain('cannot be undone');
    await page.fill('#confirmation', 'jobs');
    await Promise.all([page.waitForURL(`**/approvals/${approvalId}`), page.click('#approve')]);
    expect(await page.textContent('#status')).toBe('approved');

    const bought = await runCli(args, { env, cwd: project });
    expect(bought.code).toBe(0);
    const data = bought.json().data as {
      resource: { id: string };
      approval_id: string;
      credential_names: string[];
    };
    expect(data.approval_id).toBe(approvalId);
    expect(data.credential_names).toEqual(['KV_REST_API_TOKEN', 'KV_REST_API_URL']);
    expect(bought.stdout + bought.stderr).not.toMatch(/kv_[A-Za-z0-9]{16,}/);

    // The agent sees the credentials by name, and the value of the one the provider marks public only.
    const names = await runCli(['env', '--json'], { env, cwd: project });
    expect(names.code).toBe(0);
    const held = names.json().data as { names: string[]; public: Record<string, string> };
    expect(held.names).toEqual(['KV_REST_API_TOKEN', 'KV_REST_API_URL']);
    expect(Object.keys(held.public)).toEqual(['KV_REST_API_URL']);
    expect(names.stdout).not.toMatch(/kv_[A-Za-z0-9]{16,}/);

    const again = await runCli(args, { env, cwd: project });
    expect(again.code).toBe(0);
    expect((again.json().data as { resource: { id: string } }).resource.id).toBe(data.resource.id);
    const listed = await sandbox.api<{ resources: { name: string }[] }>(
      'GET',
      `/v1/projects/${projectId()}/resources`,
    );
    expect(listed.body.resources.filter((resource) => resource.name === 'jobs')).toHaveLength(1);
  }, 120_000);
});

describe('CI with a scoped token', () => {
  it('reads status with no keychain and no prompt, and is refused anything outside its scopes', async () => {
    const token = await sandbox.agentToken(['read', 'deploy:preview']);
    const env = {
      PROJECTS_HOME: mkdtempSync(join(tmpdir(), 'projects-ci-')),
      PROJECTS_TOKEN: token,
      CI: 'true',
    };
    const status = await runCli(['status', '--json'], { env, cwd: project });
    expect(status.code).toBe(0);
    const data = status.json().data as { project: { id: string }; resources: unknown[] };
    expect(data.project.id).toBe(projectId());
    expect(data.resources.length).toBeGreaterThanOrEqual(2);

    const provision = await runCli(['provision', 'data/kv:starter', '--name', 'ci-cache', '--json'], {
      env,
      cwd: project,
    });
    expect(provision.code).toBe(3);
    expect(provision.json()).toMatchObject({ ok: false, error: { code: 'SCOPE_DENIED' } });
    expect(provision.stdout + provision.stderr).not.toContain(token);
  }, 30_000);
});

function projectId(): string {
  return (JSON.parse(readFileSync(join(project, 'projects.json'), 'utf8')) as { project_id: string })
    .project_id;
}
