import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runApprove } from '../../src/cli/commands/approve/index.js';
import { runCatalog } from '../../src/cli/commands/catalog/index.js';
import { runCatalogShow } from '../../src/cli/commands/catalog/show.js';
import { runEnv } from '../../src/cli/commands/env/index.js';
import { runInit } from '../../src/cli/commands/init/index.js';
import { runProvision } from '../../src/cli/commands/provision/index.js';
import { runStatus } from '../../src/cli/commands/status/index.js';
import { HttpClient } from '../../src/client/http.js';
import { OrchestratorApi } from '../../src/client/orchestrator.js';
import { BLOCK_START } from '../../src/core/managed-files.js';
import { resolvePaths } from '../../src/core/paths.js';
import { Redactor } from '../../src/core/redact.js';
import { ProjectsError } from '../../src/protocol/errors.js';
import { testFactory } from '../helpers/factory.js';
import { answerPrompts } from '../helpers/prompter.js';
import { type RunsSandbox, startRunsSandbox } from '../runs/harness.js';

let sandbox: RunsSandbox;
/** One user's PROJECTS_HOME for every command of this file, as on a developer's machine. */
const home = mkdtempSync(join(tmpdir(), 'projects-home-'));

beforeAll(async () => {
  sandbox = await startRunsSandbox();
});
afterAll(() => sandbox?.close());

/** A command's factory: signed in as the sandbox's human (the token a login would hold), in `cwd`. */
function factoryIn(cwd: string, options: Parameters<typeof testFactory>[0] = {}, at: RunsSandbox = sandbox) {
  return testFactory({
    cwd,
    ...options,
    env: {
      PROJECTS_HOME: home,
      PROJECTS_TOKEN: at.human,
      PROJECTS_ORCHESTRATOR_URL: at.url,
      PROJECTS_CREDENTIAL_STORE: 'file',
      ...options.env,
    },
  });
}

function humanApi(at: RunsSandbox = sandbox): OrchestratorApi {
  const http = new HttpClient({ baseUrl: at.url, token: at.human, redactor: new Redactor() });
  return new OrchestratorApi((action) => action(http));
}

async function failure(work: Promise<unknown>): Promise<ProjectsError> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ProjectsError)) throw new Error(`expected a ProjectsError, got ${String(error)}`);
  return error;
}

async function newProject(at: RunsSandbox = sandbox): Promise<{ dir: string; projectId: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'projects-app-'));
  const result = await runInit({ sandbox: false }, factoryIn(dir, {}, at).factory);
  return { dir, projectId: result.data.project.id };
}

describe('catalog', () => {
  it('lists services with prices, as a table and as data', async () => {
    const { factory } = factoryIn(tmpdir());
    const result = await runCatalog({ provider: 'data' }, factory);
    expect(result.data.services.map((service) => service.ref)).toEqual(
      expect.arrayContaining(['data/kv:starter', 'data/kv:pro']),
    );
    const text = result.human?.((await import('../../src/cli/style.js')).plainStyle) ?? '';
    expect(text).toMatch(/^SERVICE\s+NAME\s+PRICE/);
    expect(text).toMatch(/data\/kv:pro\s+KV Pro\s+\$9\.00 \/ month, non-refundable/);
  });

  it('filters by text and category, and shows one service with its configuration', async () => {
    const { factory } = factoryIn(tmpdir());
    const none = await runCatalog({ filter: 'no-such-thing' }, factory);
    expect(none.data.services).toEqual([]);
    expect(none.next?.[0]?.command).toBe('projects catalog');
    const registrars = await runCatalog({ category: 'domains' }, factory);
    expect(registrars.data.services.map((service) => service.ref)).toEqual(['edge/registrar:domain']);
    const shown = await runCatalogShow('data/kv:starter', factory);
    expect(shown.data.ref).toBe('data/kv:starter');
    const text = shown.human?.((await import('../../src/cli/style.js')).plainStyle) ?? '';
    expect(text).toContain('price:       free');
    expect(text).toMatch(/name\s+string, optional/);
  });
});

describe('init', () => {
  it('needs a login', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'projects-app-'));
    const { factory } = factoryIn(dir, { env: { PROJECTS_TOKEN: '' } });
    const error = await failure(runInit({ sandbox: false }, factory));
    expect(error.code).toBe('AUTH_REQUIRED');
    expect(error.exitCode).toBe(3);
    expect(error.next[0]?.command).toMatch(/^projects login/);
    expect(existsSync(join(dir, 'projects.json'))).toBe(false);
  });

  it('--sandbox uses the local sandbox (started if needed), then needs a login there', async () => {
    const { serveSandbox } = await import('../../src/sandbox/lifecycle.js');
    const dir = mkdtempSync(join(tmpdir(), 'projects-app-'));
    const { factory, home: ownHome } = testFactory({ cwd: dir, env: { PROJECTS_CREDENTIAL_STORE: 'file' } });
    const local = await serveSandbox({
      sandboxDir: resolvePaths({ PROJECTS_HOME: ownHome }).sandboxDir,
      port: 0,
    });
    try {
      const error = await failure(runInit({ sandbox: true }, factory));
      expect(error.code).toBe('AUTH_REQUIRED');
      expect(error.details?.orchestrator).toBe(local.state.url);
      expect(error.next[0]?.command).toBe(`projects login --orchestrator ${local.state.url}`);
    } finally {
      await local.close();
    }
  });

  it('without any orchestrator, tells a non-interactive caller what to run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'projects-app-'));
    const { factory } = testFactory({ cwd: dir });
    const error = await failure(runInit({ sandbox: false }, factory));
    expect(error.code).toBe('NOT_INITIALIZED');
    expect(error.next.map((step) => step.command)).toContain('projects init --sandbox');
  });

  it('without any orchestrator, offers a human the local sandbox', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'projects-app-'));
    const { factory } = testFactory({ cwd: dir, tty: true });
    const { asked } = answerPrompts(factory, [false]);
    const error = await failure(runInit({ sandbox: false }, factory));
    expect(asked).toEqual([
      'No orchestrator is configured. Start the local sandbox orchestrator and use it?',
    ]);
    expect(error.code).toBe('NOT_INITIALIZED');
    expect(existsSync(join(dir, 'projects.json'))).toBe(false);
  });

  it('creates the project and its files, and is safe to run again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'projects-app-'));
    writeFileSync(join(dir, 'AGENTS.md'), '# Rules of this repo\n');
    writeFileSync(join(dir, '.gitignore'), 'node_modules/\n');
    const first = await runInit({ name: 'shop', sandbox: false }, factoryIn(dir).factory);
    expect(first.data).toMatchObject({ created: true, project: { name: 'shop' } });
    const config = JSON.parse(readFileSync(join(dir, 'projects.json'), 'utf8'));
    expect(config).toMatchObject({ project_id: first.data.project.id, orchestrator: sandbox.url });
    expect(JSON.stringify(config)).not.toMatch(/pat_|token/i);
    expect(statSync(join(dir, '.projects')).isDirectory()).toBe(true);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toMatch(
      /^node_modules\/\n(.*\n)?\.projects\/\n\.env\*\n$/m,
    );
    const skill = readFileSync(join(dir, '.agents/skills/projects/SKILL.md'), 'utf8');
    for (const rule of [
      '--json',
      'Never read',
      'Never retry a spend refusal',
      'run start --budget',
      'relay',
    ]) {
      expect(skill.toLowerCase()).toContain(rule.toLowerCase());
    }

    const second = await runInit({ sandbox: false }, factoryIn(dir).factory);
    expect(second.data).toMatchObject({ created: false, project: { id: first.data.project.id } });
    const agents = readFileSync(join(dir, 'AGENTS.md'), 'utf8');
    expect(agents.startsWith('# Rules of this repo\n')).toBe(true);
    expect(agents.split(BLOCK_START)).toHaveLength(2);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8').match(/\.env\*/g)).toHaveLength(1);

    // The orchestrator lost the project (a reset sandbox): init makes a new one and says so.
    writeFileSync(join(dir, 'projects.json'), JSON.stringify({ ...config, project_id: 'prj_gone' }));
    const third = factoryIn(dir);
    const recreated = await runInit({ sandbox: false }, third.factory);
    expect(recreated.data.created).toBe(true);
    expect(recreated.data.project.id).not.toBe('prj_gone');
    expect(third.io.err()).toContain('no project prj_gone any more');
  });

  it('scaffolds a template into an empty directory only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'projects-app-'));
    const result = await runInit({ template: 'worker', sandbox: false }, factoryIn(dir).factory);
    expect(result.data.files).toContain('src/index.js');
    expect(existsSync(join(dir, 'src/index.js'))).toBe(true);
    const config = JSON.parse(readFileSync(join(dir, 'projects.json'), 'utf8'));
    expect(config).toMatchObject({
      template: 'worker',
      deploy: { type: 'worker' },
      project_id: result.data.project.id,
    });
    // Rerunning with the same template is a no-op for the template.
    await runInit({ template: 'worker', sandbox: false }, factoryIn(dir).factory);

    const busy = mkdtempSync(join(tmpdir(), 'projects-app-'));
    writeFileSync(join(busy, 'index.html'), 'mine');
    const error = await failure(runInit({ template: 'static', sandbox: false }, factoryIn(busy).factory));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(existsSync(join(busy, 'projects.json'))).toBe(false);
  });
});

describe('provision', () => {
  it('validates the configuration before anything is sent', async () => {
    const { dir } = await newProject();
    const error = await failure(
      runProvision({ service: 'data/kv:starter', name: 'Not Valid!', config: [] }, factoryIn(dir).factory),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details?.issues).toEqual([expect.objectContaining({ path: '/name' })]);
    // A mistyped setting is named, not silently dropped (the services' schemas list every setting).
    const typo = await failure(
      runProvision({ service: 'data/kv:starter', config: ['nmae=cache'] }, factoryIn(dir).factory),
    );
    expect(typo.details?.issues).toEqual([
      { path: '/nmae', message: 'is not a known setting (known: name)' },
    ]);
    expect(existsSync(join(dir, '.projects/journal.json'))).toBe(false);
  });

  it('stops at the provider terms, a gate for a human, with the page and the rerun', async () => {
    const { dir } = await newProject();
    const error = await failure(
      runProvision({ service: 'data/kv:starter', config: [] }, factoryIn(dir).factory),
    );
    expect(error.code).toBe('TOS_REQUIRED');
    expect(error.details?.url).toMatch(/\/terms/);
    expect(error.next.at(-1)?.command).toBe('projects provision data/kv:starter');
  });

  it('creates a free resource, keeps its credentials in the store by name, and never twice', async () => {
    await sandbox.acceptTerms('data');
    const { dir, projectId } = await newProject();
    const { factory, io } = factoryIn(dir);
    const result = await runProvision({ service: 'data/kv:starter', name: 'cache', config: [] }, factory);
    expect(result.data).toMatchObject({
      replayed: false,
      credential_names: ['KV_REST_API_TOKEN', 'KV_REST_API_URL'],
    });
    expect(JSON.stringify(result.data)).not.toContain('kv_');
    expect(io.err()).not.toContain('kv_');

    const again = await runProvision(
      { service: 'data/kv:starter', name: 'cache', config: [] },
      factoryIn(dir).factory,
    );
    expect(again.data.resource.id).toBe(result.data.resource.id);
    expect(again.data.replayed).toBe(true);
    const status = await humanApi().projectStatus(projectId);
    expect(status.resources).toHaveLength(1);

    const listed = await runEnv({ pull: false }, factoryIn(dir).factory);
    expect(listed.data.names).toEqual(['KV_REST_API_TOKEN', 'KV_REST_API_URL']);
    // The store's URL is public (the provider marks it so); the token is not.
    const storeUrl = `${sandbox.url}/providers/data/kv/${status.resources[0]?.provider_resource_id}`;
    expect(listed.data.public).toEqual({ KV_REST_API_URL: storeUrl });
    // The developer's own .env: their variables stay, a stale value of ours is replaced.
    writeFileSync(join(dir, '.env'), 'MY_OWN=1\nKV_REST_API_TOKEN="stale"\n', { mode: 0o644 });
    const pulled = await runEnv({ pull: true }, factoryIn(dir).factory);
    const env = readFileSync(join(dir, '.env'), 'utf8');
    expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600);
    expect(env).toMatch(/^MY_OWN=1\nKV_REST_API_TOKEN="[^"]+"\n/);
    expect(env).not.toContain('stale');
    expect(env).toMatch(/^KV_REST_API_URL="http[^"]+"$/m);
    expect(pulled.human?.((await import('../../src/cli/style.js')).plainStyle)).toBe(
      `KV_REST_API_TOKEN\nKV_REST_API_URL=${storeUrl}`,
    );
  });

  it('stops an agent at the approval gate, then proceeds once a human approved — once', async () => {
    await sandbox.acceptTerms('data');
    await sandbox.addCard();
    const { dir, projectId } = await newProject();
    const agent = factoryIn(dir, { env: { CLAUDECODE: '1' }, globals: { json: true } });
    const options = { service: 'data/kv:pro', name: 'big', config: [] };
    const gate = await failure(runProvision(options, agent.factory));
    expect(gate.code).toBe('APPROVAL_REQUIRED');
    expect(gate.exitCode).toBe(4);
    const approvalId = gate.details?.approval_id as string;
    expect(approvalId).toMatch(/^apr_/);
    expect(gate.details?.url).toBe(`${sandbox.url}/approvals/${approvalId}`);
    expect(gate.next.map((step) => step.command)).toEqual([
      `projects approve ${approvalId}`,
      'projects provision data/kv:pro --name big --json',
    ]);

    // The agent cannot decide it: approve refuses without a human at a terminal.
    const refused = await failure(
      runApprove(
        { id: approvalId, deny: false, web: false },
        factoryIn(dir, { env: { CLAUDECODE: '1' } }).factory,
      ),
    );
    expect(refused.code).toBe('HUMAN_REQUIRED');
    expect(refused.details).toMatchObject({
      approval_id: approvalId,
      approval: { status: 'pending', confirmation: 'big' },
    });

    // The human approves at a terminal, typing the exact name.
    const human = factoryIn(dir, { tty: true });
    const { asked } = answerPrompts(human.factory, ['big']);
    const decided = await runApprove({ id: approvalId, deny: false, web: false }, human.factory);
    expect(asked[0]).toContain('Type big exactly');
    expect(decided.data).toMatchObject({ status: 'approved', decided_via: 'cli' });

    const bought = await runProvision(options, factoryIn(dir, { env: { CLAUDECODE: '1' } }).factory);
    expect(bought.data).toMatchObject({ approval_id: approvalId, replayed: false });
    const rerun = await runProvision(options, factoryIn(dir, { env: { CLAUDECODE: '1' } }).factory);
    expect(rerun.data.resource.id).toBe(bought.data.resource.id);
    expect((await humanApi().projectStatus(projectId)).resources).toHaveLength(1);
  });

  it('lets a human at the terminal approve in line, and a wrong name buys nothing', async () => {
    // A user of their own: no card on file yet.
    const fresh = await startRunsSandbox();
    try {
      await fresh.acceptTerms('data');
      const { dir, projectId } = await newProject(fresh);
      const wrong = factoryIn(dir, { tty: true }, fresh);
      answerPrompts(wrong.factory, ['bgi']);
      const declined = await failure(
        runProvision({ service: 'data/kv:pro', name: 'big', config: [] }, wrong.factory),
      );
      expect(declined.code).toBe('APPROVAL_DENIED');
      expect((await humanApi(fresh).projectStatus(projectId)).resources).toHaveLength(0);

      // Approve by typing the name, then add a card on the billing page when asked (the human, in a browser).
      const right = factoryIn(dir, { tty: true }, fresh);
      const { asked } = answerPrompts(right.factory, [
        'other',
        async () => {
          await fresh.addCard();
          return '';
        },
      ]);
      const bought = await runProvision({ service: 'data/kv:pro', name: 'other', config: [] }, right.factory);
      expect(asked).toHaveLength(2);
      expect(right.io.err()).toMatch(/add a payment method[^\n]*\n\s+http:\/\/127\.0\.0\.1:\d+\/billing/);
      expect(bought.data.resource.name).toBe('other');
      expect(right.io.err()).toContain('This needs your approval');
      expect(right.io.err()).toMatch(/refundable\s+no/);
    } finally {
      await fresh.close();
    }
  });
});

describe('approve and status', () => {
  it('lists pending approvals and shows the project with spend', async () => {
    const { dir } = await newProject();
    await failure(
      runProvision(
        { service: 'data/kv:pro', name: 'waiting', config: [] },
        factoryIn(dir, { env: { CI: '1' } }).factory,
      ),
    );
    const list = await runApprove({ deny: false, web: false }, factoryIn(dir).factory);
    const approvals = (list.data as { approvals: { id: string; status: string; url: string }[] }).approvals;
    const pending = approvals.find((approval) => approval.status === 'pending');
    expect(pending).toBeDefined();
    // --web hands the human the page; with no desktop to open it on, the page is printed.
    const web = factoryIn(dir, { tty: true });
    const shown = await runApprove({ id: pending?.id, deny: false, web: true }, web.factory);
    expect(shown.data).toMatchObject({ url: `${sandbox.url}/approvals/${pending?.id}`, opened: false });
    expect(web.io.err()).toContain(`Open ${sandbox.url}/approvals/${pending?.id} to decide.`);

    const status = await runStatus(factoryIn(dir, { env: { CI: '1' } }).factory);
    expect(status.data.pending_approvals).toHaveLength(1);
    expect(status.data.spend.this_month.currency).toBe('usd');
    expect(status.next?.[0]?.command).toMatch(/^projects approve apr_/);
    // Spend against the caps: in the data, and in what a human reads.
    expect(status.data.budget?.limits).toMatchObject({
      global_monthly_cap: 50_000,
      provider_monthly_cap: 10_000,
    });
    const text = status.human?.((await import('../../src/cli/style.js')).plainStyle) ?? '';
    expect(text).toMatch(/all projects, \d{4}-\d{2}: \$\d+\.\d{2} of \$500\.00 \(global cap\)/);
  });

  it('refuses decision flags without an approval id instead of ignoring them', async () => {
    const { dir } = await newProject();
    const error = await failure(
      runApprove({ deny: true, reason: 'no', web: false }, factoryIn(dir, { tty: true }).factory),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('--deny, --reason needs the id of an approval');
  });
});
