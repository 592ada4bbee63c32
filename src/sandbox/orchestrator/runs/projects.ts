import { ProjectsError } from '../../../protocol/errors.js';
import type { Project } from '../../../protocol/orchestrator.js';
import type { OrchestratorStorage } from '../storage/unit-of-work.js';
import { newId } from './ids.js';
import type { ProjectRecord } from './repository.js';

export class ProjectStore {
  constructor(private readonly storage: OrchestratorStorage) {}

  async create(userId: string, name: string, now: Date): Promise<Project> {
    const row: ProjectRecord = { id: newId('prj'), user_id: userId, name, created_at: now.toISOString() };
    await this.storage.transaction((tx) => tx.projects.insert(row));
    return toProject(row);
  }

  /** The project, if it belongs to `userId`; another user's project is indistinguishable from none. */
  async get(userId: string, id: string): Promise<Project> {
    const row = await this.storage.transaction((tx) => tx.projects.find(userId, id));
    if (!row) {
      throw new ProjectsError('NOT_FOUND', `no project '${id}'`, {
        httpStatus: 404,
        next: [{ command: 'projects init', why: 'create a project at this orchestrator' }],
      });
    }
    return toProject(row);
  }
}

function toProject(row: ProjectRecord): Project {
  return { id: row.id, name: row.name, created_at: row.created_at };
}
