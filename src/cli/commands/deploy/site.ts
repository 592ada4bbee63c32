import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { DeployClient } from '../../../client/deploy-client.js';
import type { Runtime } from '../../../protocol/deploy.js';
import { ProjectsError } from '../../../protocol/errors.js';
import { credentialStore } from '../../credentials.js';
import type { Factory } from '../../factory.js';
import type { ProjectRef } from '../../project.js';

/**
 * Where `projects deploy` sends files: the project's `hosting:site` resource, whose credentials the
 * provision flow keeps in the credential store under the project's id, and the `deploy` section of
 * projects.json (`{"type": "static"|"worker", "dir", "main", "ignore": […], "site"}`).
 */

/** Names of the site's credentials in its access configuration (the edge provider's `hosting:site`). */
export const SITE_CREDENTIALS = {
  url: 'EDGE_DEPLOY_API_URL',
  token: 'EDGE_DEPLOY_TOKEN',
  siteId: 'EDGE_SITE_ID',
} as const;

/** Credentials of the edge itself are not handed to the code it runs (least privilege). */
const NOT_FOR_WORKERS = /^EDGE_/;

const DeploySection = z.object({
  type: z.enum(['static', 'worker']).default('static'),
  dir: z.string().min(1).optional(),
  main: z.string().min(1).default('src/index.js'),
  ignore: z.array(z.string()).default([]),
  site: z.string().optional(),
});
export type DeploySettings = z.output<typeof DeploySection>;

export function deploySettings(project: ProjectRef): DeploySettings {
  const parsed = DeploySection.safeParse(project.config.deploy ?? {});
  if (!parsed.success) {
    throw new ProjectsError('INVALID_ARGUMENT', `the "deploy" section of ${project.file} is invalid`, {
      details: { issues: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) },
    });
  }
  return parsed.data;
}

export function runtimeOf(settings: DeploySettings): Runtime {
  return settings.type === 'worker' ? { type: 'worker', main: settings.main } : { type: 'static' };
}

/** The directory to deploy: the argument (from the working directory), else `deploy.dir`, else the project. */
export function deployDir(
  factory: Factory,
  project: ProjectRef,
  settings: DeploySettings,
  arg?: string,
): string {
  if (arg) return isAbsolute(arg) ? arg : resolve(factory.cwd, arg);
  return resolve(project.dir, settings.dir ?? '.');
}

export interface SiteTarget {
  projectId: string;
  siteId: string;
  client: DeployClient;
  /** The project's other resource credentials: what a worker sees as `env`. */
  workerEnv: Record<string, string>;
}

async function siteSecrets(factory: Factory, projectId: string): Promise<Record<string, string>> {
  return (await credentialStore(factory)).getResourceSecrets(projectId);
}

function hasSite(secrets: Record<string, string>): boolean {
  return Boolean(
    secrets[SITE_CREDENTIALS.url] && secrets[SITE_CREDENTIALS.token] && secrets[SITE_CREDENTIALS.siteId],
  );
}

/**
 * The project's site. With `provisionAs`, a project without one gets the free tier first (free, so no
 * gate; the provision command still shows the provider's terms when they were never accepted).
 */
export async function siteTarget(
  factory: Factory,
  project: ProjectRef,
  options: { provisionAs?: string | undefined; provision?: boolean } = {},
): Promise<SiteTarget> {
  const projectId = project.config.project_id;
  let secrets = await siteSecrets(factory, projectId);
  if (!hasSite(secrets) && options.provision) {
    factory.output.info('This project has no site yet: provisioning a free edge/hosting:site.');
    const { runProvision } = await import('../provision/index.js');
    await runProvision(
      { service: 'edge/hosting:site', config: options.provisionAs ? [`name=${options.provisionAs}`] : [] },
      factory,
    );
    secrets = await siteSecrets(factory, projectId);
  }
  const url = secrets[SITE_CREDENTIALS.url];
  const token = secrets[SITE_CREDENTIALS.token];
  const siteId = secrets[SITE_CREDENTIALS.siteId];
  if (!url || !token || !siteId) {
    throw new ProjectsError('NOT_FOUND', 'this project has no hosting:site resource to deploy to', {
      next: [
        { command: 'projects provision edge/hosting:site', why: 'create a free site (no payment, no gate)' },
      ],
    });
  }
  const workerEnv = Object.fromEntries(
    Object.entries(secrets).filter(([name]) => !NOT_FOR_WORKERS.test(name)),
  );
  const client = new DeployClient({
    url,
    token,
    redactor: factory.redactor,
    debug: (line) => factory.output.debug(line),
  });
  return { projectId, siteId, client, workerEnv };
}

/** Refuses to act when `--site` (or `deploy.site`) names another site than the project's credential serves. */
export async function checkSiteName(target: SiteTarget, expected: string | undefined): Promise<void> {
  if (!expected) return;
  const { site } = await target.client.list();
  if (site !== expected) {
    throw new ProjectsError('INVALID_ARGUMENT', `this project's site is ${site}, not ${expected}`, {
      details: { site, requested: expected },
    });
  }
}
