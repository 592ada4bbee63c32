import { JournalSession, journalDir, type StepOutcome } from '../../../client/journal-store.js';
import type { OrchestratorApi } from '../../../client/orchestrator.js';
import {
  coerceConfig,
  parseConfigPairs,
  validateAgainstSchema,
  withName,
} from '../../../core/config-schema.js';
import { normalizeDomain } from '../../../core/lookalike/index.js';
import { formatMoney, parseUsd } from '../../../core/money.js';
import { type NextStep, ProjectsError } from '../../../protocol/errors.js';
import type {
  CatalogService,
  ProvisionRequest,
  ProvisionResponse,
  Resource,
} from '../../../protocol/orchestrator.js';
import { orchestratorApi } from '../../api.js';
import type { CommandInput } from '../../command.js';
import { credentialLines } from '../../credential-names.js';
import { credentialStore } from '../../credentials.js';
import type { Factory } from '../../factory.js';
import { throughApprovals, throughWebGates } from '../../gates.js';
import { readJsonFile, StateDir, writeJsonFile } from '../../local-state.js';
import type { CommandResult } from '../../output.js';
import { describePrice, describePricing } from '../../pricing.js';
import type { ProjectFile, ProjectRef } from '../../project.js';
import { resolveService } from '../../service-ref.js';
import { commandLine } from '../../shell.js';
import type { Style } from '../../style.js';

export interface ProvisionOptions {
  /** `provider/service[:type]` */
  service: string;
  name?: string | undefined;
  /** `key=value` pairs */
  config: string[];
  /** `--max-price` in US dollars, as typed */
  maxPrice?: string | undefined;
}

export interface ProvisionData {
  resource: Resource;
  /** null when the journal shows the step finished earlier and nothing was asked of the provider. */
  quote: ProvisionResponse['quote'] | null;
  approval_id: string | null;
  replayed: boolean;
  /** Env-var names of the credentials saved in the credential store (public values: `resource`). */
  credential_names: string[];
  credential_store: string;
}

/**
 * `projects provision`: configuration checked against the service's schema → the orchestrator's provision
 * run (quote, policy, gates, account link, payment token, resource) under a journaled idempotency key →
 * credentials into the credential store, listed by name → local state.
 */
export async function runProvision(
  options: ProvisionOptions,
  factory: Factory,
): Promise<CommandResult<ProvisionData>> {
  const project = factory.requireProject();
  const projectId = project.config.project_id;
  const api = orchestratorApi(factory);
  const service = await resolveService(api, options.service);
  // S1 mirrored here for an early, friendly refusal: a hostile or malformed domain name is a usage
  // error (exit 2) before anything is quoted. The orchestrator enforces exact intent regardless.
  if (service.kind === 'domain' && options.name !== undefined) normalizeDomain(options.name);
  const config = checkedConfig(service, options);
  const maxPrice = options.maxPrice === undefined ? undefined : parseUsd(options.maxPrice, '--max-price');
  const state = new StateDir(project.dir);
  state.ensure();
  const known = await knownResource(api, state, projectId, service.ref, options.name);
  if (known) return alreadyProvisioned(known, service);

  const runId = runIdFrom(factory);
  const body = {
    service: service.ref,
    ...(options.name === undefined ? {} : { name: options.name }),
    config,
    ...(maxPrice === undefined ? {} : { max_price: maxPrice }),
  };
  await confirmFree(factory, service, options);
  const rerun: NextStep = {
    command: rerunCommand(options, factory),
    why: 'rerun once a human has decided; it never buys twice',
  };
  const outcome = await provisionOnce(factory, api, project, { service, body, runId, rerun });
  if (outcome.replayed) {
    const earlier = await activeResource(api, projectId, outcome.recorded?.resource_id);
    if (earlier) return alreadyProvisioned(earlier, service);
    throw new ProjectsError(
      'NOT_FOUND',
      'an earlier run of this command provisioned a resource that is gone',
      {
        details: { resource_id: outcome.recorded?.resource_id },
        next: [{ command: 'projects status', why: 'see what the project has' }],
      },
    );
  }
  const answer = outcome.value;
  const credentialNames = Object.keys(answer.credentials).sort();
  state.recordResource(projectId, {
    id: answer.resource.id,
    service: service.ref,
    name: answer.resource.name,
    credential_names: credentialNames,
    created_at: answer.resource.created_at,
  });
  declareResource(project, { id: answer.resource.id, service: service.ref, name: answer.resource.name });

  const data: ProvisionData = {
    resource: answer.resource,
    quote: answer.quote,
    approval_id: answer.approval_id,
    replayed: answer.replayed,
    credential_names: credentialNames,
    credential_store: (await credentialStore(factory)).kind,
  };
  return {
    data,
    human: (style) => describeResult(data, service, style),
    next: credentialNames.length
      ? [
          { command: 'projects env', why: 'list the credentials by name' },
          { command: 'projects env --pull', why: 'write them to .env (mode 0600) for local development' },
        ]
      : [{ command: 'projects status', why: 'see the project' }],
  };
}

interface ProvisionStep {
  service: CatalogService;
  /** The request without its idempotency key: what the step's key stands for. */
  body: Omit<ProvisionRequest, 'idempotency_key' | 'run_id'>;
  runId: string | undefined;
  rerun: NextStep;
}

/**
 * The provision call as one journaled step (S3): written down with its idempotency key before it is sent,
 * so that a crash, a gate or a plain rerun sends the same key and the orchestrator answers the first
 * result instead of buying twice. Credentials are stored before the step counts as done.
 */
async function provisionOnce(
  factory: Factory,
  api: OrchestratorApi,
  project: ProjectRef,
  { service, body, runId, rerun }: ProvisionStep,
): Promise<StepOutcome<ProvisionResponse, { resource_id: string }>> {
  const projectId = project.config.project_id;
  const store = await credentialStore(factory);
  const journal = await JournalSession.open(journalDir(project.dir), {
    command: 'provision',
    args: { service: service.ref, name: body.name ?? null, config: body.config },
    projectId,
    runId,
  });
  try {
    const outcome = await journal.step(
      {
        id: `1:${service.ref}:${body.name ?? ''}`,
        body,
        summarize: (answer: ProvisionResponse) => ({ resource_id: answer.resource.id }),
      },
      async ({ key }) => {
        const request: ProvisionRequest = {
          ...body,
          idempotency_key: key,
          ...(runId ? { run_id: runId } : {}),
        };
        // Web gates (terms, card, provider consent) inside, approvals (a purchase, a look-alike name) outside.
        const answer = await throughApprovals(factory, api, rerun, 'nothing was bought', () =>
          throughWebGates(factory, rerun, () => api.provision(projectId, request)),
        );
        // The store registers every value for redaction except those the provider marked public (checked
        // against the shape of a credential again here: S7 does not rest on the provider being right).
        if (Object.keys(answer.credentials).length)
          await store.putResourceSecrets(
            projectId,
            answer.credentials,
            Object.keys(answer.resource.public_credentials),
          );
        return answer;
      },
    );
    await journal.finish();
    return outcome;
  } catch (error) {
    // Left open: a rerun of the same command resumes this step with the same key.
    await journal.close();
    throw error;
  }
}

/**
 * The resource this command made before, if the project still has it: provisioning is keyed by service
 * and name, so asking again for what exists answers it instead of buying a second one — at any later time,
 * not only within the orchestrator's idempotency window.
 */
async function knownResource(
  api: OrchestratorApi,
  state: StateDir,
  projectId: string,
  service: string,
  name: string | undefined,
): Promise<Resource | undefined> {
  const local = state
    .state(projectId)
    .resources.find((resource) => resource.service === service && resource.name === (name ?? null));
  return local ? activeResource(api, projectId, local.id) : undefined;
}

async function activeResource(
  api: OrchestratorApi,
  projectId: string,
  resourceId: string | undefined,
): Promise<Resource | undefined> {
  if (!resourceId) return undefined;
  const status = await api.projectStatus(projectId);
  return status.resources.find((resource) => resource.id === resourceId && resource.status === 'active');
}

/** A rerun of a finished step: the resource is there already, nothing is bought and nothing is asked. */
function alreadyProvisioned(resource: Resource, service: CatalogService): CommandResult<ProvisionData> {
  const data: ProvisionData = {
    resource,
    quote: null,
    approval_id: null,
    replayed: true,
    credential_names: resource.credential_names,
    credential_store: 'unchanged',
  };
  return { data, human: (style) => describeResult(data, service, style) };
}

/** `--config` pairs typed by the schema, `--name` placed where the service wants it, and checked. */
function checkedConfig(service: CatalogService, options: ProvisionOptions): Record<string, unknown> {
  const schema = service.configuration_schema;
  const config = coerceConfig(schema, parseConfigPairs(options.config));
  const issues = validateAgainstSchema(schema, withName(schema, config, options.name));
  if (issues.length === 0) return config;
  throw new ProjectsError(
    'INVALID_ARGUMENT',
    `configuration does not match ${service.ref}: ${issues.map((issue) => `${issue.path} ${issue.message}`).join('; ')}`,
    {
      details: { service: service.ref, issues },
      next: [{ command: `projects catalog show ${service.ref}`, why: 'see its configuration schema' }],
    },
  );
}

function runIdFrom(factory: Factory): string | undefined {
  const runId = factory.env.PROJECTS_RUN_ID?.trim();
  if (!runId) return undefined;
  if (!/^run_[A-Za-z0-9]+$/.test(runId)) {
    throw new ProjectsError('INVALID_ARGUMENT', `PROJECTS_RUN_ID must be a run id (run_…), got '${runId}'`, {
      next: [{ command: 'projects run start --budget <usd>', why: 'start a run and use its id' }],
    });
  }
  return runId;
}

/**
 * A free service goes through without a gate, so at a terminal the human sees what will be created and
 * confirms (`--yes` accepts). Paid services are confirmed on the approval itself, with its exact price.
 */
async function confirmFree(
  factory: Factory,
  service: CatalogService,
  options: ProvisionOptions,
): Promise<void> {
  if (!factory.interactive || factory.globals.json) return;
  factory.output.info(
    `${service.ref} (${service.name}) from ${service.provider}${options.name ? `, named ${options.name}` : ''}: ${describePricing(service.pricing)}`,
  );
  if (service.pricing.type !== 'free' || factory.globals.yes) return;
  const prompter = await factory.prompter();
  if (!(await prompter.confirm('Create it?', true))) {
    throw new ProjectsError('INTERRUPTED', 'cancelled; nothing was created');
  }
}

/** projects.json lists what the project has (no secrets): the committed, reviewable record. */
function declareResource(
  project: ProjectRef,
  resource: { id: string; service: string; name: string | null },
): void {
  const config = readJsonFile<ProjectFile>(project.file) ?? project.config;
  const resources = (config.resources ?? []).filter((known) => known.id !== resource.id);
  writeJsonFile(project.file, { ...config, resources: [...resources, resource] });
}

function describeResult(data: ProvisionData, service: CatalogService, style: Style): string {
  const { resource, quote } = data;
  const price = quote
    ? describeQuote(quote)
    : resource.price
      ? formatMoney(resource.price.amount, resource.price.currency)
      : 'free';
  const lines = [
    `${data.replayed ? 'Already provisioned' : 'Provisioned'} ${service.ref}${resource.name ? ` ${style.bold(resource.name)}` : ''} (${resource.id})`,
    `  price        ${price}`,
  ];
  if (quote && quote.renewal_price !== null && quote.billing !== 'free') {
    lines.push(`  renews at    ${formatMoney(quote.renewal_price, quote.currency)}`);
  }
  if (data.approval_id) lines.push(`  approved     ${data.approval_id}`);
  const credentials = credentialLines(data.credential_names, resource.public_credentials).join(', ');
  lines.push(
    data.credential_names.length
      ? `  credentials  ${credentials} (${storeLabel(data.credential_store)})`
      : '  credentials  none',
  );
  return lines.join('\n');
}

function describeQuote(quote: ProvisionResponse['quote']): string {
  if (quote.price === 0) return 'free';
  const price = describePrice(quote.price, quote.currency, quote.billing, quote.interval);
  return quote.refundable ? price : `${price}, non-refundable`;
}

function storeLabel(store: string): string {
  if (store === 'keychain') return 'in the OS keychain';
  if (store === 'file') return 'in the encrypted credential file';
  return 'in the credential store';
}

function rerunCommand(options: ProvisionOptions, factory: Factory): string {
  const words = ['projects', 'provision', options.service];
  if (options.name !== undefined) words.push('--name', options.name);
  for (const pair of options.config) words.push('--config', pair);
  if (options.maxPrice !== undefined) words.push('--max-price', options.maxPrice);
  if (factory.globals.json) words.push('--json');
  return commandLine(words);
}

export function run(factory: Factory, { args, options }: CommandInput): Promise<CommandResult> {
  return runProvision(
    {
      service: args[0] ?? '',
      name: options.name as string | undefined,
      config: (options.config as string[] | undefined) ?? [],
      maxPrice: options.maxPrice as string | undefined,
    },
    factory,
  );
}
