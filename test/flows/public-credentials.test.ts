import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { openCredentialStore } from '../../src/credentials/store.js';
import type { ProjectStatus, Resource } from '../../src/protocol/orchestrator.js';
import { newSecret } from '../../src/protocol/secrets.js';
import { loadSandboxModules } from '../../src/sandbox/modules.js';
import { LEAKY_PROVIDER, VAULT_DATABASE_PASSWORD } from '../providers/leaky-provider.js';
import { type RunsSandbox, startRunsSandbox } from '../runs/harness.js';

/**
 * Access-configuration values a provider marks public (`public_keys`) are shown by the CLI — a site id in
 * an approval title, `env`, `status` — while every secret stays redacted in every mode, also when a
 * provider marks a credential public. The commands run in-process against the sandbox over real HTTP.
 */

const STATIC_TEMPLATE = join(import.meta.dirname, '../../templates/static');

let dataDir: string;
let work: string;
let sandbox: RunsSandbox;
let env: NodeJS.ProcessEnv;
/** Everything every command printed, on stdout and stderr: searched for secrets at the end of each test. */
let printed: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'projects-public-credentials-'));
  const modules = await loadSandboxModules({ dataDir, extraProviders: [LEAKY_PROVIDER] });
  sandbox = await startRunsSandbox({ dataDir, modules });
  await sandbox.acceptTerms('edge');
  await sandbox.acceptTerms('leaky');
  work = mkdtempSync(join(tmpdir(), 'projects-public-credentials-work-'));
  env = {
    PROJECTS_HOME: join(work, 'home'),
    PROJECTS_CREDENTIAL_STORE: 'file',
    PROJECTS_ORCHESTRATOR_URL: sandbox.url,
    CI: '1',
  };
});

afterAll(async () => {
  await sandbox?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

/** Runs `projects …` in-process as `token` (CI, no terminal) and keeps what it printed. */
async function projects(args: string[], token: string, cwd: string) {
  const io = testIO();
  const code = await main(args, { io, env: { ...env, PROJECTS_TOKEN: token }, cwd });
  printed.push(io.out(), io.err());
  return { code, out: io.out(), err: io.err(), json: () => JSON.parse(io.out()) };
}

/** The same command as human output, `--json` and `--debug`: every mode a secret could leak through. */
async function inEveryMode(args: string[], token: string, cwd: string) {
  const human = await projects(args, token, cwd);
  const json = await projects([...args, '--json'], token, cwd);
  const debug = await projects([...args, '--debug'], token, cwd);
  for (const run of [human, json, debug]) expect(run.code).toBe(0);
  return { human, json: json.json(), debug };
}

async function newProject(name: string): Promise<{ dir: string; projectId: string }> {
  const projectId = await sandbox.createProject(name);
  const dir = join(work, name);
  cpSync(STATIC_TEMPLATE, dir, { recursive: true });
  writeFileSync(
    join(dir, 'projects.json'),
    JSON.stringify({ project_id: projectId, deploy: { type: 'static', dir: 'public' } }),
  );
  return { dir, projectId };
}

/** What the CLI keeps in its credential store for a project (read as the tests' own process). */
async function stored(projectId: string): Promise<Record<string, string>> {
  const store = await openCredentialStore({ env });
  try {
    return await store.getResourceSecrets(projectId);
  } finally {
    store.close();
  }
}

function expectNowherePrinted(secrets: string[]): void {
  const everything = printed.join('\n');
  for (const secret of secrets) expect(everything).not.toContain(secret);
}

describe('public access-configuration values', () => {
  it('shows the site id in env, status and the approval title; the deploy token never', async () => {
    printed = [];
    const agent = await sandbox.agentToken(['read', 'provision:free', 'deploy:preview']);
    const { dir, projectId } = await newProject('pubsite');
    const provisioned = await projects(['provision', 'edge/hosting:site', '--name', 'pubsite'], agent, dir);
    expect(provisioned.code).toBe(0);
    const values = await stored(projectId);
    const siteId = values.EDGE_SITE_ID!;
    const deployUrl = `${sandbox.url}/providers/edge/deploy`;
    expect(siteId).toMatch(/^res_/);
    expect(values.EDGE_DEPLOY_API_URL).toBe(deployUrl);
    expect(provisioned.out).toContain(
      `credentials  EDGE_DEPLOY_API_URL=${deployUrl}, EDGE_DEPLOY_TOKEN, EDGE_SITE_ID=${siteId} (`,
    );

    const listed = await inEveryMode(['env'], agent, dir);
    expect(listed.human.out).toBe(
      `EDGE_DEPLOY_API_URL=${deployUrl}\nEDGE_DEPLOY_TOKEN\nEDGE_SITE_ID=${siteId}\n`,
    );
    expect(listed.json.data.public).toEqual({ EDGE_SITE_ID: siteId, EDGE_DEPLOY_API_URL: deployUrl });

    const status = await inEveryMode(['status'], agent, dir);
    expect(status.human.out).toContain(`EDGE_SITE_ID=${siteId}`);
    expect(status.json.data.resources[0].public_credentials).toEqual({
      EDGE_SITE_ID: siteId,
      EDGE_DEPLOY_API_URL: deployUrl,
    });

    // The deploy reads the site's credentials (registering the secret ones) and logs its requests.
    const preview = await projects(['deploy', '--debug'], agent, dir);
    expect(preview.code).toBe(0);
    expect(preview.err).toContain(`${deployUrl}/v1/`);

    // A human at the terminal sees the production approval with the site it is about, not `[redacted]`.
    const io = testIO({ tty: true });
    const { CI: _ci, ...interactive } = env;
    const running = main(['deploy', '--prod'], {
      io,
      env: { ...interactive, PROJECTS_TOKEN: sandbox.human },
      cwd: dir,
    });
    const deadline = Date.now() + 20_000;
    while (!io.err().includes('exactly to approve') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const title = new RegExp(`Publish (dpl_\\w+) to production \\(edge site ${siteId}\\)`).exec(io.err());
    expect(title).not.toBeNull();
    expect(io.err()).not.toContain('[redacted]');
    io.type(title![1]!);
    expect(await running).toBe(0);
    printed.push(io.out(), io.err());

    expectNowherePrinted([values.EDGE_DEPLOY_TOKEN!]);

    // A rotation hands out a new token and keeps the marking.
    const rotated = await sandbox.api<{ resource: Resource; credentials: Record<string, string> }>(
      'POST',
      `/v1/resources/${status.json.data.resources[0].id}/rotate`,
    );
    expect(rotated.body.credentials.EDGE_DEPLOY_TOKEN).not.toBe(values.EDGE_DEPLOY_TOKEN);
    expect(rotated.body.resource.public_credentials).toEqual({
      EDGE_SITE_ID: siteId,
      EDGE_DEPLOY_API_URL: deployUrl,
    });
  });

  it('keeps a credential secret when its provider marks it public, wherever the marking comes from', async () => {
    printed = [];
    const agent = await sandbox.agentToken(['read', 'provision:free']);
    const { dir, projectId } = await newProject('leaky');
    const provisioned = await projects(['provision', 'leaky/vault:free', '--debug'], agent, dir);
    expect(provisioned.code).toBe(0);
    const again = await projects(['provision', 'leaky/vault:free', '--json'], agent, dir);
    expect(again.json().data).toMatchObject({ replayed: true });
    const values = await stored(projectId);
    const vaultId = values.VAULT_ID!;
    expect(values.VAULT_DATABASE_URL).toContain(VAULT_DATABASE_PASSWORD);

    // The orchestrator passes on only what is public and does not look like a credential.
    const status = await sandbox.api<ProjectStatus>('GET', `/v1/projects/${projectId}`);
    expect(status.body.resources[0]?.public_credentials).toEqual({ VAULT_ID: vaultId });

    const listed = await inEveryMode(['env'], agent, dir);
    expect(listed.human.out).toBe(`VAULT_DATABASE_URL\nVAULT_ID=${vaultId}\nVAULT_TOKEN\n`);
    expect(listed.json.data.public).toEqual({ VAULT_ID: vaultId });

    // An orchestrator that lists a credential as public (here: its record altered) is not believed either.
    sandbox.db
      .prepare('UPDATE runs_resources SET public_credentials = ? WHERE project_id = ?')
      .run(JSON.stringify({ VAULT_ID: vaultId, VAULT_TOKEN: values.VAULT_TOKEN }), projectId);
    const shown = await inEveryMode(['status'], agent, dir);
    expect(shown.human.out).toMatch(/VAULT_DATABASE_URL, VAULT_ID=res_\w+, VAULT_TOKEN\b/);
    expect(shown.json.data.resources[0].public_credentials).toEqual({ VAULT_ID: vaultId });

    expectNowherePrinted([values.VAULT_TOKEN!, VAULT_DATABASE_PASSWORD]);
  });
});

describe('the credential store', () => {
  it('registers every value for redaction but the public ones, and a value put again unmarked is secret', async () => {
    const registered: string[] = [];
    const token = newSecret('dtok');
    const open = () => openCredentialStore({ env, onSecret: (value) => registered.push(value) });
    const store = await open();
    await store.putResourceSecrets(
      'prj_store',
      { SITE_ID: 'res_0123456789abcdef01234567', TOKEN: token, HOST: 'db.example.com' },
      ['SITE_ID', 'TOKEN'],
    );
    expect(registered).toEqual([token, 'db.example.com']);
    expect((await store.getResources('prj_store')).shown).toEqual({
      SITE_ID: 'res_0123456789abcdef01234567',
    });
    store.close();

    registered.length = 0;
    const again = await open();
    await again.getResourceSecrets('prj_store');
    expect(registered.sort()).toEqual(['db.example.com', token].sort());
    // Replaced without the marking (e.g. a provider that stopped marking it): secret again.
    await again.putResourceSecrets('prj_store', { SITE_ID: 'res_0123456789abcdef01234567' });
    expect((await again.getResources('prj_store')).shown).toEqual({});
    again.close();
  });
});
