import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readIfExists } from '../files.js';
import { ProjectsError } from '../protocol/errors.js';
import { STATE_DIR } from './project.js';

/**
 * Files are replaced whole (written aside, then renamed), so that a crash or a SIGKILL leaves either the
 * old or the new content, never half of one.
 */
export function writeFileAtomic(file: string, text: string, mode = 0o644): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, text, { mode });
  renameSync(temp, file);
}

export function readJsonFile<T>(file: string): T | undefined {
  const text = readIfExists(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new ProjectsError('INVALID_ARGUMENT', `${file} is not valid JSON; fix or delete it`, {
      cause: error,
    });
  }
}

export function writeJsonFile(file: string, value: unknown, mode = 0o644): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, mode);
}

/** What the CLI remembers about a provisioned resource, locally (never its credentials' values). */
export interface LocalResource {
  id: string;
  service: string;
  name: string | null;
  credential_names: string[];
  created_at: string;
}

export interface LocalState {
  project_id: string;
  resources: LocalResource[];
}

/** `.projects/` of a project: local state the CLI owns, gitignored, private to the user. */
export class StateDir {
  readonly dir: string;

  constructor(projectDir: string) {
    this.dir = join(projectDir, STATE_DIR);
  }

  ensure(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(
      join(this.dir, 'README'),
      'Local state of `projects` (resources, the provisioning journal). Not committed, not for agents to read.\n',
    );
  }

  state(projectId: string): LocalState {
    const state = readJsonFile<LocalState>(join(this.dir, 'state.json'));
    return state?.project_id === projectId ? state : { project_id: projectId, resources: [] };
  }

  recordResource(projectId: string, resource: LocalResource): void {
    const state = this.state(projectId);
    const resources = [...state.resources.filter((known) => known.id !== resource.id), resource];
    writeJsonFile(join(this.dir, 'state.json'), { ...state, resources }, 0o600);
  }

  file(name: string): string {
    return join(this.dir, name);
  }
}
