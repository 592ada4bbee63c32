import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestIO, testIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { openCredentialStore } from '../../src/credentials/store.js';
import { TOKEN_PREFIXES } from '../../src/protocol/oauth.js';
import type { Approval } from '../../src/protocol/orchestrator.js';
import { launchBrowser } from '../helpers/browser.js';
import { signedInContext } from '../helpers/identity.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sandbox: TestSandbox;
let browser: { browser: Browser; close: () => Promise<void> };
let page: Page;
let env: NodeJS.ProcessEnv;
const printed: string[] = [];

beforeAll(async () => {
  [sandbox, browser] = await Promise.all([startTestSandbox(), launchBrowser()]);
  page = await (await signedInContext(browser.browser, sandbox)).newPage();
  const home = mkdtempSync(join(tmpdir(), 'projects-home-'));
  env = { PROJECTS_HOME: home, PROJECTS_CREDENTIAL_STORE: 'file', PROJECTS_ORCHESTRATOR_URL: sandbox.url };
  // A completed `projects login` of the sandbox's human (the login itself is tested in login.test.ts).
  const store = await openCredentialStore({ env });
  await store.saveLogin({
    orchestrator: sandbox.url,
    accessToken: await sandbox.accessToken(),
    scopes: [],
    savedAt: 0,
  });
});

afterAll(async () => {
  await browser?.close();
  await sandbox?.close();
});

async function cli(argv: string[], options: { io?: TestIO; env?: NodeJS.ProcessEnv } = {}) {
  const io = options.io ?? testIO();
  const code = await main(argv, { io, env: { ...env, ...options.env }, cwd: env.PROJECTS_HOME! });
  printed.push(io.out(), io.err());
  return { code, out: io.out(), err: io.err(), json: () => JSON.parse(io.out()) };
}

/** Polls the (fake) terminal until `prompt` is on it. */
async function promptShown(io: TestIO, prompt: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!io.err().includes(prompt)) {
    if (Date.now() > deadline) throw new Error(`no prompt; stderr so far: ${io.err()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Answers the typed confirmation once the prompt is on the (fake) terminal. */
async function typeWhenAsked(io: TestIO, answer: string): Promise<void> {
  await promptShown(io, 'exactly to approve');
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

/** The human decides in the approval's web page, in headless Chromium, signed in with the browser session. */
async function decideInBrowser(url: string, decision: 'approve' | 'deny', confirmation?: string) {
  await page.goto(url);
  if (confirmation !== undefined) await page.fill('#confirmation', confirmation);
  await Promise.all([page.waitForURL(url), page.click(`#${decision}`)]);
  return page.textContent('#status');
}

async function tokenNames(): Promise<string[]> {
  const { data } = (await cli(['token', 'list', '--json'])).json();
  return data.tokens.map((token: { name: string }) => token.name);
}

const AGENT_ARGS = [
  'token',
  'create',
  '--name',
  'agent',
  '--scope',
  'read,deploy:preview',
  '--expires',
  '30d',
];
const RERUN = 'projects token create --name agent --scope read,deploy:preview --expires 30d';

describe('projects token create without a human at the terminal (web approval)', () => {
  let approvalId: string;
  let created: { id: string; token: string };

  it('exits 4 with APPROVAL_REQUIRED, the approval and its page, and the commands for the human and the rerun', async () => {
    const result = await cli([...AGENT_ARGS, '--json', '--debug']);
    expect(result.code).toBe(4);
    const envelope = result.json();
    expect(envelope).toMatchObject({
      ok: false,
      command: 'token create',
      error: { code: 'APPROVAL_REQUIRED', details: { approval_id: expect.stringMatching(/^apr_/) } },
    });
    approvalId = envelope.error.details.approval_id;
    expect(envelope.error.details.url).toBe(`${sandbox.url}/approvals/${approvalId}`);
    expect(envelope.next.map((step: { command: string }) => step.command)).toEqual([
      `projects approve ${approvalId}`,
      RERUN,
    ]);
    const approval = (await cli(['approve', approvalId, '--json'])).json().error.details.approval;
    expect(approval).toMatchObject({ kind: 'token_create', status: 'pending', confirmation: 'agent' });
    expect(approval.title).toBe("Create API token 'agent' (read, deploy:preview), valid 30 days");
    expect(await tokenNames()).toEqual([]);
  });

  it('is not satisfied by --yes in CI, even at a terminal: the same approval is still pending', async () => {
    const result = await cli([...AGENT_ARGS, '--yes', '--json'], {
      env: { CI: 'true' },
      io: testIO({ tty: true }),
    });
    expect(result.code).toBe(4);
    expect(result.json().error.details.approval_id).toBe(approvalId);
  });

  it('after the human approves in the web page, the rerun prints the token once, on stdout only', async () => {
    expect(await decideInBrowser(`${sandbox.url}/approvals/${approvalId}`, 'approve', 'agent')).toBe(
      'approved',
    );
    const result = await cli([...AGENT_ARGS, '--debug']);
    expect(result.code).toBe(0);
    const token = result.out.trim();
    expect(token.startsWith(`${TOKEN_PREFIXES.apiToken}_`)).toBe(true);
    expect(result.out).toBe(`${token}\n`);
    expect(result.err).toContain('debug: → POST');
    expect(result.err).not.toContain(token);
    const list = (await cli(['token', 'list', '--json'])).json().data.tokens;
    expect(list).toEqual([
      expect.objectContaining({ name: 'agent', scopes: ['read', 'deploy:preview'], revoked_at: null }),
    ]);
    created = { id: list[0].id, token };
  });

  it('acts within its scopes and gets SCOPE_DENIED outside them', async () => {
    const agent = { PROJECTS_TOKEN: created.token, PROJECTS_HOME: mkdtempSync(join(tmpdir(), 'agent-')) };
    const budget = await cli(['budget', '--json', '--debug'], { env: agent });
    expect(budget.code).toBe(0);
    expect(budget.json().ok).toBe(true);
    const run = await cli(['run', 'start', '--budget', '5', '--json', '--debug'], { env: agent });
    expect(run.json().error).toMatchObject({ code: 'SCOPE_DENIED', details: { required: 'provision:paid' } });
  });

  it('a second rerun mints no second token: the approval is used up, a new one is asked for', async () => {
    const result = await cli([...AGENT_ARGS, '--json']);
    expect(result.code).toBe(4);
    const { error } = result.json();
    expect(error.code).toBe('APPROVAL_REQUIRED');
    expect(error.details.used_approval_id).toBe(approvalId);
    expect(error.details.approval_id).not.toBe(approvalId);
    expect(error.message).toContain(`${approvalId} was already used`);
    expect(await tokenNames()).toEqual(['agent']);
    approvalId = error.details.approval_id;
  });

  it('answers APPROVAL_DENIED once the human denied it in the web page', async () => {
    expect(await decideInBrowser(`${sandbox.url}/approvals/${approvalId}`, 'deny')).toBe('denied');
    const result = await cli([...AGENT_ARGS, '--json']);
    expect(result.code).toBe(1);
    expect(result.json().error).toMatchObject({
      code: 'APPROVAL_DENIED',
      details: { approval_id: approvalId },
    });
    expect(await tokenNames()).toEqual(['agent']);
  });

  it('asks a new approval for a different scope set', async () => {
    const result = await cli(['token', 'create', '--name', 'agent', '--scope', 'read', '--json']);
    expect(result.code).toBe(4);
    expect(result.json().error.details.approval_id).not.toBe(approvalId);
  });

  it('lets a CI job use the token, with no way to mint more', async () => {
    const ci = {
      CI: 'true',
      PROJECTS_TOKEN: created.token,
      PROJECTS_HOME: mkdtempSync(join(tmpdir(), 'ci-')),
    };
    const whoami = await cli(['whoami', '--json', '--debug'], { env: ci });
    expect(whoami.json().data).toMatchObject({
      kind: 'token',
      source: 'PROJECTS_TOKEN',
      scopes: ['read', 'deploy:preview'],
      credential: { type: 'api_token', id: created.id },
    });
    const mint = await cli(['token', 'create', '--name', 'x', '--scope', 'read', '--json'], { env: ci });
    expect(mint.json().error.code).toBe('SCOPE_DENIED');
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

describe('projects token create at a terminal', () => {
  it('creates the token once the human types its name; the approval records that they decided', async () => {
    const result = await createAtTerminal(['--name', 'ci', '--scope', 'read', '--expires', '12h'], 'ci');
    expect(result.code).toBe(0);
    const token = result.out.trim();
    expect(token.startsWith(`${TOKEN_PREFIXES.apiToken}_`)).toBe(true);
    expect(result.err).toContain("Create API token 'ci' (read), valid 12 hours");
    expect(result.err).not.toContain(token);
    const response = await fetch(`${sandbox.url}/v1/approvals?status=approved`, {
      headers: { authorization: `Bearer ${await sandbox.accessToken()}` },
    });
    const { approvals } = (await response.json()) as { approvals: Approval[] };
    expect(approvals.find((approval) => approval.confirmation === 'ci')).toMatchObject({
      kind: 'token_create',
      decided_via: 'cli',
      decided_by: `human:${sandbox.user.email}`,
    });
    expect(await tokenNames()).toContain('ci');
  });

  it('with --web, lets the human decide in the approval page, then creates the token', async () => {
    const io = testIO({ tty: true });
    const running = cli(['token', 'create', '--name', 'web-ci', '--scope', 'read', '--web'], { io });
    await promptShown(io, 'press Enter when done');
    const url = /(http:\/\/127\.0\.0\.1:\d+\/approvals\/apr_\S+)/.exec(io.err())?.[1];
    expect(url).toBeDefined();
    expect(await decideInBrowser(url!, 'approve', 'web-ci')).toBe('approved');
    io.type('');
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.out.trim().startsWith(`${TOKEN_PREFIXES.apiToken}_`)).toBe(true);
    expect(await tokenNames()).toContain('web-ci');
  });

  it('denies the approval when the typed name does not match, creating nothing', async () => {
    const result = await createAtTerminal(['--name', 'deploy-bot', '--scope', 'read'], 'yes');
    expect(result.code).toBe(1);
    expect(result.err).toContain('APPROVAL_DENIED');
    expect(result.err).toContain('no token was created');
    expect(await tokenNames()).not.toContain('deploy-bot');
  });
});
