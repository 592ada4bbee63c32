import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import type { OrchestratorApi } from '../../../client/orchestrator.js';
import { upsertManagedBlock, withGitignoreEntries } from '../../../core/managed-files.js';
import { readIfExists } from '../../../files.js';
import { packageRoot } from '../../../package-root.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { Project } from '../../../protocol/orchestrator.js';
import { orchestratorApi } from '../../api.js';
import type { CommandInput } from '../../command.js';
import type { Factory } from '../../factory.js';
import { throughWebGates } from '../../gates.js';
import { readJsonFile, StateDir, writeFileAtomic, writeJsonFile } from '../../local-state.js';
import type { CommandResult } from '../../output.js';
import { PROJECT_FILE, type ProjectFile, STATE_DIR } from '../../project.js';
import { commandLine } from '../../shell.js';
import { agentsBlock, SKILL_PATH, skillFile } from './agent-guide.js';
import { ensureSandbox } from './sandbox.js';

export const TEMPLATES = ['static', 'worker'] as const;
export type TemplateName = (typeof TEMPLATES)[number];

export interface InitOptions {
  name?: string | undefined;
  template?: TemplateName | undefined;
  /** Use the local sandbox orchestrator, starting it if needed. */
  sandbox: boolean;
}

export interface InitData {
  project: { id: string; name: string };
  orchestrator: string;
  directory: string;
  created: boolean;
  template: TemplateName | null;
  files: string[];
}

/** Files init itself writes: a directory holding only these still counts as empty for a template. */
const OWN_FILES = new Set([PROJECT_FILE, STATE_DIR, '.gitignore', 'AGENTS.md', '.agents', '.git']);
const GITIGNORE_ENTRIES = [`${STATE_DIR}/`, '.env*'];

/**
 * `projects init`: creates the project at the orchestrator (once) and writes the repository's side of it —
 * projects.json, .projects/, .gitignore entries, the agent guide — and, into an empty directory, a template.
 * Every step is safe to repeat: a second run finds the project and rewrites only what it manages.
 */
export async function runInit(options: InitOptions, factory: Factory): Promise<CommandResult<InitData>> {
  const dir = resolve(factory.cwd, factory.globals.project ?? '.');
  const existing = readJsonFile<ProjectFile>(join(dir, PROJECT_FILE));
  const template = options.template ?? templateOf(existing);
  if (options.template && existing?.template !== options.template) assertEmptyForTemplate(dir);
  const scaffolded = template && existing?.template !== template ? templateSource(template) : undefined;
  const orchestrator = await chooseOrchestrator(options, factory, existing);
  const name = options.name ?? existing?.name ?? basename(dir);
  const rerun = { command: rerunCommand(options, factory), why: 'finish init once that is done' };
  const api = orchestratorApi(factory, { orchestrator });
  const known = existing?.project_id && sameOrchestrator(existing.orchestrator, orchestrator);
  const found = known ? await existingProject(api, existing.project_id, factory) : undefined;
  const project: Pick<Project, 'id' | 'name'> =
    found ?? (await throughWebGates(factory, rerun, () => api.createProject(name)));
  const reuse = found !== undefined;

  // A template's own projects.json brings its deploy settings, under the project's identity.
  const files = writeProjectFiles(dir, {
    ...(scaffolded && readJsonFile<Partial<ProjectFile>>(join(scaffolded, PROJECT_FILE))),
    ...existing,
    project_id: project.id,
    name: project.name,
    orchestrator,
    ...(scaffolded && { template }),
  });
  if (scaffolded) files.push(...copyTemplate(scaffolded, dir));
  const data: InitData = {
    project: { id: project.id, name: project.name },
    orchestrator,
    directory: dir,
    created: !reuse,
    template: template ?? null,
    files,
  };
  return {
    data,
    human: () =>
      `${reuse ? 'Project already initialized' : 'Created project'} ${project.name} (${project.id}) at ${orchestrator}`,
    next: [
      { command: 'projects catalog', why: 'see what you can provision' },
      {
        command: 'projects provision <provider/service> --name <name>',
        why: 'add a resource to the project',
      },
    ],
  };
}

/**
 * The project projects.json names, as the orchestrator knows it; undefined (with a warning) when the
 * orchestrator no longer has it — a reset sandbox — so that init creates it again instead of failing.
 */
async function existingProject(
  api: OrchestratorApi,
  id: string,
  factory: Factory,
): Promise<Pick<Project, 'id' | 'name'> | undefined> {
  try {
    return (await api.projectStatus(id)).project;
  } catch (error) {
    if (!(error instanceof ProjectsError) || error.code !== 'NOT_FOUND') throw error;
    factory.output.warn(`the orchestrator has no project ${id} any more; creating a new one`);
    return undefined;
  }
}

function rerunCommand(options: InitOptions, factory: Factory): string {
  const words = ['projects', 'init'];
  if (options.name) words.push(options.name);
  if (options.template) words.push('--template', options.template);
  if (options.sandbox) words.push('--sandbox');
  if (factory.globals.orchestrator) words.push('--orchestrator', factory.globals.orchestrator);
  if (factory.globals.json) words.push('--json');
  return commandLine(words);
}

function templateOf(file: ProjectFile | undefined): TemplateName | undefined {
  const value = file?.template;
  return TEMPLATES.find((name) => name === value);
}

function sameOrchestrator(a: string | undefined, b: string): boolean {
  return a !== undefined && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/**
 * The orchestrator: `--sandbox` starts or reuses the local one; otherwise the usual resolution (flag,
 * environment, projects.json, user config, running sandbox). With none at all a human is offered the
 * sandbox; nobody else is (S8: answer at once with what to run).
 */
async function chooseOrchestrator(
  options: InitOptions,
  factory: Factory,
  existing: ProjectFile | undefined,
): Promise<string> {
  if (options.sandbox) return ensureSandbox(factory);
  const configured =
    factory.globals.orchestrator ?? factory.env.PROJECTS_ORCHESTRATOR_URL ?? existing?.orchestrator;
  if (configured) return configured;
  const fallback = factory.orchestratorUrl();
  if (fallback) return fallback;
  const next = [
    { command: 'projects init --sandbox', why: 'use the local sandbox orchestrator (started if needed)' },
    { command: 'projects init --orchestrator <url>', why: 'or use another orchestrator' },
  ];
  if (!factory.interactive) {
    throw new ProjectsError('NOT_INITIALIZED', 'no orchestrator is configured', { next });
  }
  const prompter = await factory.prompter(next);
  const useSandbox = await prompter.confirm(
    'No orchestrator is configured. Start the local sandbox orchestrator and use it?',
    true,
  );
  if (!useSandbox) throw new ProjectsError('NOT_INITIALIZED', 'no orchestrator chosen', { next });
  return ensureSandbox(factory);
}

/** Writes (or refreshes) every file init manages and answers their paths, relative to the project. */
function writeProjectFiles(dir: string, config: ProjectFile): string[] {
  writeJsonFile(join(dir, PROJECT_FILE), { ...config, resources: config.resources ?? [] });
  new StateDir(dir).ensure();
  const gitignore = join(dir, '.gitignore');
  writeFileAtomic(gitignore, withGitignoreEntries(readIfExists(gitignore), GITIGNORE_ENTRIES));
  const agents = join(dir, 'AGENTS.md');
  writeFileAtomic(agents, upsertManagedBlock(readIfExists(agents), agentsBlock()));
  writeFileAtomic(join(dir, SKILL_PATH), skillFile());
  return [PROJECT_FILE, `${STATE_DIR}/`, '.gitignore', 'AGENTS.md', SKILL_PATH];
}

function assertEmptyForTemplate(dir: string): void {
  const foreign = existsSync(dir) ? readdirSync(dir).filter((entry) => !OWN_FILES.has(entry)) : [];
  if (foreign.length === 0) return;
  throw new ProjectsError(
    'INVALID_ARGUMENT',
    `a template is only scaffolded into an empty directory; ${dir} has ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}`,
    {
      details: { directory: dir, entries: foreign.slice(0, 20) },
      next: [{ command: 'projects init', why: 'initialize without a template' }],
    },
  );
}

/** The templates shipped with the CLI (`templates/` at the package root). */
export function templatesDir(): string {
  return join(packageRoot(), 'templates');
}

/** Where template `template` is installed; NOT_FOUND when this CLI does not ship it. */
function templateSource(template: TemplateName): string {
  const source = join(templatesDir(), template);
  if (!existsSync(source) || !statSync(source).isDirectory()) {
    throw new ProjectsError('NOT_FOUND', `template '${template}' is not installed with this CLI`, {
      details: { template, looked_in: source },
    });
  }
  return source;
}

/** Copies a template's files, except its projects.json, into `dir` (never over an existing file). */
function copyTemplate(source: string, dir: string): string[] {
  cpSync(source, dir, {
    recursive: true,
    force: false,
    errorOnExist: false,
    filter: (path) => relative(source, path) !== PROJECT_FILE,
  });
  return readdirSync(source, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(source, join(entry.parentPath, entry.name)))
    .filter((path) => path !== PROJECT_FILE);
}

export function run(factory: Factory, { args, options }: CommandInput): Promise<CommandResult> {
  return runInit(
    {
      name: args[0],
      template: options.template as TemplateName | undefined,
      sandbox: Boolean(options.sandbox),
    },
    factory,
  );
}
