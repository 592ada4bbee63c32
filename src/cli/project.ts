import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ProjectsError } from '../protocol/errors.js';

export const PROJECT_FILE = 'projects.json';
export const STATE_DIR = '.projects';

/** The committed project file. No secrets and no policy live here (an agent can edit it). */
export interface ProjectFile {
  project_id: string;
  name?: string;
  orchestrator?: string;
  resources?: Record<string, unknown>[];
  deploy?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ProjectRef {
  dir: string;
  file: string;
  config: ProjectFile;
}

/** Walks up from `start` to find `projects.json` (or looks only in `explicitDir` when given). */
export function findProject(start: string, explicitDir?: string): ProjectRef | undefined {
  if (explicitDir) return readProject(resolve(start, explicitDir));
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const found = readProject(dir);
    if (found) return found;
    if (dirname(dir) === dir) return undefined;
  }
}

function readProject(dir: string): ProjectRef | undefined {
  const file = join(dir, PROJECT_FILE);
  if (!existsSync(file)) return undefined;
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ProjectsError('INVALID_ARGUMENT', `${file} is not valid JSON`, { cause: error });
  }
  if (!config || typeof config !== 'object' || typeof (config as ProjectFile).project_id !== 'string') {
    throw new ProjectsError('INVALID_ARGUMENT', `${file} has no "project_id"; run projects init again`, {
      next: [{ command: 'projects init', why: 'repair the project file' }],
    });
  }
  return { dir, file, config: config as ProjectFile };
}

export function notInitialized(dir: string): ProjectsError {
  return new ProjectsError('NOT_INITIALIZED', `no ${PROJECT_FILE} in ${dir} or any parent directory`, {
    next: [{ command: 'projects init', why: 'create a project here first' }],
  });
}
