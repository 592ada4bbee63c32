import { Resolver } from 'node:dns/promises';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { fetchDeployed } from '../../src/client/deployed.js';
import { openCredentialStore } from '../../src/credentials/store.js';
import { approvalIdOf, type RunsSandbox, startRunsSandbox } from '../runs/harness.js';
import { hostOf, hostRequest } from './helpers.js';

const TEMPLATE = join(import.meta.dirname, '../../templates/worker');

let sandbox: RunsSandbox;
let work: string;
let port: number;
let projectDir: string;
let projectId: string;
let siteId: string;
let env: NodeJS.ProcessEnv;

/** Runs `projects …` in-process against the sandbox, as the agent or CI token `token`. */
async function projects(args: string[], token: string, cwd = projectDir) {
  const io = testIO();
  const code = await main(args, { io, env: { ...env, PROJECTS_TOKEN: token }, cwd });
  return { code, out: io.out(), err: io.err(), json: () => JSON.parse(io.out()) };
}

beforeAll(async () => {
  sandbox = await startRunsSandbox();
  port = Number(new URL(sandbox.url).port);
  await sandbox.acceptTerms('edge');
  projectId = await sandbox.createProject('cli-deploy');
  const provisioned = await sandbox.api<{ credentials: Record<string, string> }>(
    'POST',
    `/v1/projects/${projectId}/provision`,
    { service: 'edge/hosting:site', config: { name: 'clisite' }, idempotency_key: 'idk_deploy_cli_site' },
  );
  expect(provisioned.status).toBe(201);
  siteId = provisioned.body.credentials.EDGE_SITE_ID!;
  work = mkdtempSync(join(tmpdir(), 'projects-deploy-cli-'));
  env = {
    PROJECTS_HOME: join(work, 'home'),
    PROJECTS_CREDENTIAL_STORE: 'file',
    PROJECTS_ORCHESTRATOR_URL: sandbox.url,
    CI: '1',
  };
  const store = await openCredentialStore({ env });
  await store.putResourceSecrets(projectId, {
    ...provisioned.body.credentials,
    DATA_URL: 'http://127.0.0.1:9/kv',
  });
  store.close();
  projectDir = join(work, 'app');
  cpSync(TEMPLATE, projectDir, { recursive: true });
  writeFileSync(
    join(projectDir, 'projects.json'),
    JSON.stringify({ project_id: projectId, deploy: { type: 'worker', main: 'src/index.js' } }),
  );
});

afterAll(async () => {
  await sandbox.close();
  rmSync(work, { recursive: true, force: true });
});

describe('projects deploy', () => {
  it('deploys a preview and prints only its URL; --prod stops at the gate with exit 4', async () => {
    const agent = await sandbox.agentToken(['read', 'deploy:preview']);
    const preview = await projects(['deploy', '--message', 'first'], agent);
    expect(preview.code).toBe(0);
    expect(preview.out).toMatch(/^http:\/\/[0-9a-z]{12}--clisite\.localhost:\d+\/\n$/);
    const page = await hostRequest(port, hostOf(preview.out.trim()), '/api/health');
    // The worker sees the project's other credentials, never the edge's own.
    expect(JSON.parse(page.body)).toEqual({ ok: true, env: ['DATA_URL'] });

    const gated = await projects(['deploy', '--prod', '--json'], agent);
    expect(gated.code).toBe(4);
    const envelope = gated.json();
    expect(envelope).toMatchObject({ ok: false, error: { code: 'APPROVAL_REQUIRED' } });
    const approvalId = envelope.error.details.approval_id as string;
    const deploymentId = envelope.error.details.deployment as string;
    expect(envelope.next.map((step: { command: string }) => step.command)).toEqual(
      expect.arrayContaining([`projects approve ${approvalId}`, `projects deploy promote ${deploymentId}`]),
    );
    expect((await hostRequest(port, 'clisite.localhost', '/')).status).toBe(404);

    const decided = await sandbox.api('POST', `/v1/approvals/${approvalId}/approve`, {
      confirmation: deploymentId,
    });
    expect(decided.status).toBe(200);
    const promoted = await projects(['deploy', 'promote', deploymentId], agent);
    expect(promoted.code).toBe(0);
    expect(promoted.out).toBe(`http://clisite.localhost:${port}/\n`);
    expect((await hostRequest(port, 'clisite.localhost', '/')).body).toContain('Hello from a worker');
  });

  it('publishes at once with a deploy:production token, lists, and rolls back instantly', async () => {
    const ci = await sandbox.agentToken(['read', 'deploy:preview', 'deploy:production']);
    writeFileSync(join(projectDir, 'src/page.js'), 'export function page() { return "second"; }\n');
    const second = await projects(['deploy', '--prod', '--json'], ci);
    expect(second.code).toBe(0);
    expect(second.json().data).toMatchObject({ production: true, uploaded: 1 });
    expect((await hostRequest(port, 'clisite.localhost', '/')).body).toBe('second');

    const list = await projects(['deploy', 'list', '--json'], ci);
    expect(list.json().data.deployments).toHaveLength(3);

    const rolledBack = await projects(['deploy', 'rollback'], ci);
    expect(rolledBack.code).toBe(0);
    expect((await hostRequest(port, 'clisite.localhost', '/')).body).toContain('Hello from a worker');
  });

  it('lets a human at a terminal approve --prod by typing the deployment id', async () => {
    const io = testIO({ tty: true });
    const { CI: _ci, ...interactive } = env;
    const running = main(['deploy', '--prod'], {
      io,
      env: { ...interactive, PROJECTS_TOKEN: sandbox.human },
      cwd: projectDir,
    });
    const deadline = Date.now() + 20_000;
    let confirmation: string | undefined;
    while (!confirmation && Date.now() < deadline) {
      const pending = sandbox.db
        .prepare(
          "SELECT confirmation FROM runs_approvals WHERE kind = 'deploy_production' AND status = 'pending'",
        )
        .get() as { confirmation: string } | undefined;
      confirmation = io.err().includes('exactly to approve') ? pending?.confirmation : undefined;
      if (!confirmation) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(confirmation).toMatch(/^dpl_/);
    io.type(confirmation!);
    expect(await running).toBe(0);
    expect(io.out().trim().split('\n').at(-1)).toBe(`http://clisite.localhost:${port}/`);
    const decided = sandbox.db
      .prepare('SELECT status, decided_via FROM runs_approvals WHERE confirmation = ?')
      .get(confirmation);
    expect(decided).toEqual({ status: 'approved', decided_via: 'cli' });
  });

  it('provisions a free site first when the project has none, then deploys the static template', async () => {
    const otherProject = await sandbox.createProject('static-site');
    const dir = join(work, 'static');
    cpSync(join(TEMPLATE, '../static'), dir, { recursive: true });
    const template = JSON.parse(readFileSync(join(dir, 'projects.json'), 'utf8'));
    writeFileSync(join(dir, 'projects.json'), JSON.stringify({ ...template, project_id: otherProject }));
    const agent = await sandbox.agentToken(['read', 'provision:free', 'deploy:preview']);
    const deployed = await projects(['deploy', '--site', 'staticsite'], agent, dir);
    expect(deployed.code).toBe(0);
    expect(deployed.out).toMatch(/^http:\/\/[0-9a-z]{12}--staticsite\.localhost:\d+\/\n$/);
    expect(deployed.err).toContain('provisioning a free edge/hosting:site');
    const home = await hostRequest(port, hostOf(deployed.out.trim()), '/');
    expect(home.body).toContain('Hello from projects');
  });

  it('attaches a domain the project bought: DNS answers from the sandbox, HTTPS verifies against the CA', async () => {
    await sandbox.addCard();
    const buy = {
      service: 'edge/registrar:domain',
      name: 'clisite.dev',
      idempotency_key: 'idk_deploy_cli_domain',
    };
    const gated = await sandbox.api('POST', `/v1/projects/${projectId}/provision`, buy);
    const approvalId = approvalIdOf(gated);
    await sandbox.api('POST', `/v1/approvals/${approvalId}/approve`, { confirmation: 'clisite.dev' });
    expect((await sandbox.api('POST', `/v1/projects/${projectId}/provision`, buy)).status).toBe(201);

    const ci = await sandbox.agentToken(['read', 'deploy:preview', 'deploy:production']);
    const published = await projects(['deploy', '--prod', '--domain', 'clisite.dev'], ci);
    expect(published.code).toBe(0);
    const httpsUrl = published.out.trim();
    expect(httpsUrl).toMatch(/^https:\/\/clisite\.dev:\d+\/$/);
    // Attaching again (e.g. after a lost answer) reissues the certificate and answers the same URL.
    const attached = await projects(['domains', 'attach', 'clisite.dev'], ci);
    expect([attached.code, attached.out.trim()]).toEqual([0, httpsUrl]);

    const resolver = new Resolver();
    resolver.setServers([sandbox.context.endpoints.get('dns')!]);
    const [address] = await resolver.resolve4('clisite.dev');
    const ca = (await fetchDeployed(`${sandbox.url}/providers/edge/deploy/ca.pem`)).body;
    const live = await fetchDeployed(httpsUrl, { address: address!, ca });
    // What this deploy published: the project as the second test left it.
    expect([live.status, live.body]).toEqual([200, 'second']);
  });

  it('grants publishing only for an active site of the project itself', async () => {
    const ci = await sandbox.agentToken(['read', 'deploy:preview', 'deploy:production']);
    const other = await sandbox.createProject('cli-deploy-other');
    const grant = (project: string, site: string) =>
      sandbox.api<{ error?: { code: string } }>(
        'POST',
        `/v1/projects/${project}/publish-grants`,
        { provider: 'edge', site_id: site, deployment_id: 'dpl_000000000000' },
        ci,
      );
    expect((await grant(projectId, siteId)).status).toBe(201);
    for (const [project, site] of [
      [other, siteId],
      [projectId, 'site_unknown'],
    ] as const) {
      const refused = await grant(project, site);
      expect([refused.status, refused.body.error?.code]).toEqual([404, 'NOT_FOUND']);
    }
  });
});
