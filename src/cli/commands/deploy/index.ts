import { type DeployProgress, type DeployResult, deployDirectory } from '../../../client/deploy.js';
import type { AliasResponse, Deployment, DomainAttachment } from '../../../protocol/deploy.js';
import { type NextStep, ProjectsError } from '../../../protocol/errors.js';
import type { CommandInput, CommandModule } from '../../command.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';
import { publishGrant } from './gate.js';
import { checkSiteName, deployDir, deploySettings, runtimeOf, type SiteTarget, siteTarget } from './site.js';

export interface DeployOptions {
  dir?: string | undefined;
  prod: boolean;
  site?: string | undefined;
  domain?: string | undefined;
  message?: string | undefined;
}

export interface DeployData {
  url: string;
  deployment: Deployment;
  production: boolean;
  files: number;
  bytes: number;
  uploaded: number;
  uploaded_bytes: number;
  domain: DomainAttachment | null;
}

const PHASES: Record<DeployProgress['phase'], string> = {
  hashing: 'Hashing files',
  uploading: 'Uploading missing files',
  processing: 'Processing the deployment',
};

/** `projects deploy [dir]`: a preview by default; `--prod` publishes through the gate; `--domain` attaches. */
export async function runDeploy(
  options: DeployOptions,
  factory: Factory,
): Promise<CommandResult<DeployData>> {
  const project = factory.requireProject();
  const settings = deploySettings(project);
  const siteName = options.site ?? settings.site;
  const target = await siteTarget(factory, project, { provision: true, provisionAs: siteName });
  await checkSiteName(target, siteName);
  const dir = deployDir(factory, project, settings, options.dir);
  const task = await factory.output.task('Deploying');
  let result: DeployResult;
  try {
    result = await deployDirectory({
      dir,
      client: target.client,
      runtime: runtimeOf(settings),
      ...(options.message ? { message: options.message } : {}),
      env: settings.type === 'worker' ? target.workerEnv : {},
      ignore: settings.ignore,
      onProgress: ({ phase, done, total }) => task.update(`${PHASES[phase]} (${done}/${total})`),
    });
  } catch (error) {
    task.fail('Deploy failed');
    throw error;
  }
  task.succeed(`Deployed ${result.deployment.id}: ${result.uploaded} of ${result.files} files uploaded`);
  let deployment = result.deployment;
  let url = deployment.url;
  if (options.prod) {
    const alias = await publish(factory, target, deployment.id, {
      command: `projects deploy promote ${deployment.id}`,
      why: 'publish once a human approved; nothing is uploaded again',
    });
    deployment = alias.production;
    url = alias.production_url;
  }
  const domain = options.domain ? await target.client.attachDomain(options.domain) : null;
  if (domain && options.prod) url = domain.https_url;
  const data: DeployData = {
    url,
    deployment,
    production: options.prod,
    files: result.files,
    bytes: result.bytes,
    uploaded: result.uploaded,
    uploaded_bytes: result.uploadedBytes,
    domain,
  };
  return {
    data,
    human: () => url,
    next: options.prod
      ? [{ command: 'projects deploy rollback', why: 'put the previous production deployment back' }]
      : [{ command: `projects deploy promote ${deployment.id}`, why: 'publish this preview to production' }],
  };
}

/**
 * Obtains the publish grant (or stops at the gate) and moves production to `deploymentId`, by promoting it
 * unless `move` says how (a rollback to a deployment that was never in production).
 */
async function publish(
  factory: Factory,
  target: SiteTarget,
  deploymentId: string,
  rerun: NextStep,
  move: (grant: string) => Promise<AliasResponse> = (grant) => target.client.promote(deploymentId, grant),
): Promise<AliasResponse> {
  try {
    const grant = await publishGrant(factory, {
      projectId: target.projectId,
      siteId: target.siteId,
      deploymentId,
      rerun,
    });
    return await move(grant);
  } catch (error) {
    throw error instanceof ProjectsError ? error.with({ details: { deployment: deploymentId } }) : error;
  }
}

function describeDeployment(deployment: Deployment): string {
  const flags = [deployment.production ? 'production' : '', deployment.status].filter(Boolean).join(', ');
  const message = deployment.message ? `  ${deployment.message}` : '';
  return `${deployment.id}  ${deployment.created_at}  ${flags}  ${deployment.url}${message}`;
}

export async function runDeployList(factory: Factory): Promise<CommandResult> {
  const target = await siteTarget(factory, factory.requireProject());
  const list = await target.client.list();
  return {
    data: list,
    human: () =>
      [`site ${list.site}: ${list.production_url}`, ...list.deployments.map(describeDeployment)].join('\n'),
  };
}

function aliasResult(alias: AliasResponse): CommandResult<AliasResponse> {
  return {
    data: alias,
    human: () => alias.production_url,
    ...(alias.previous
      ? { next: [{ command: `projects deploy rollback ${alias.previous}`, why: 'undo this change' }] }
      : {}),
  };
}

export async function runDeployPromote(id: string, factory: Factory): Promise<CommandResult<AliasResponse>> {
  if (!id) throw new ProjectsError('INVALID_ARGUMENT', 'name the deployment to promote (dpl_…)');
  const target = await siteTarget(factory, factory.requireProject());
  const rerun = { command: `projects deploy promote ${id}`, why: 'publish once a human approved' };
  return aliasResult(await publish(factory, target, id, rerun));
}

/**
 * Instant: only the production alias moves. A deployment that was in production before needs no gate;
 * any other target is a publication and goes through the gate like a promotion.
 */
export async function runDeployRollback(
  id: string | undefined,
  factory: Factory,
): Promise<CommandResult<AliasResponse>> {
  const target = await siteTarget(factory, factory.requireProject());
  try {
    return aliasResult(await target.client.rollback(id ? { id } : {}));
  } catch (error) {
    if (!(error instanceof ProjectsError) || error.code !== 'APPROVAL_REQUIRED' || !id) throw error;
    const rerun = { command: `projects deploy rollback ${id}`, why: 'roll back once a human approved' };
    return aliasResult(
      await publish(factory, target, id, rerun, (grant) => target.client.rollback({ id, grant })),
    );
  }
}

function stringOption(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function deployOptions(input: CommandInput): DeployOptions {
  return {
    dir: input.args[0],
    prod: input.options.prod === true,
    site: stringOption(input.options.site),
    domain: stringOption(input.options.domain),
    message: stringOption(input.options.message),
  };
}

export function run(factory: Factory, input: CommandInput): Promise<CommandResult> {
  return runDeploy(deployOptions(input), factory);
}

export const list: CommandModule = { run: (factory) => runDeployList(factory) };

export const promote: CommandModule = {
  run: (factory, input) => runDeployPromote(input.args[0] ?? '', factory),
};

export const rollback: CommandModule = { run: (factory, input) => runDeployRollback(input.args[0], factory) };
