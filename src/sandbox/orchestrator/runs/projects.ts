import { ProjectsError } from '../../../protocol/errors.js';
import type { Project } from '../../../protocol/orchestrator.js';
import type { Db } from '../../db.js';
import { newId } from './ids.js';

export const PROJECTS_MIGRATION = `
CREATE TABLE runs_projects (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX runs_projects_user ON runs_projects (user_id)`;

interface ProjectRow {
  id: string;
  user_id: string;
  name: string;
  created_at: string;
}

export class ProjectStore {
  constructor(private readonly db: Db) {}

  create(userId: string, name: string, now: Date): Project {
    const row: ProjectRow = { id: newId('prj'), user_id: userId, name, created_at: now.toISOString() };
    this.db
      .prepare(
        'INSERT INTO runs_projects (id, user_id, name, created_at) VALUES (@id, @user_id, @name, @created_at)',
      )
      .run(row);
    return toProject(row);
  }

  /** The project, if it belongs to `userId`; another user's project is indistinguishable from none. */
  get(userId: string, id: string): Project {
    const row = this.db.prepare('SELECT * FROM runs_projects WHERE id = ? AND user_id = ?').get(id, userId) as
      | ProjectRow
      | undefined;
    if (!row) {
      throw new ProjectsError('NOT_FOUND', `no project '${id}'`, {
        httpStatus: 404,
        next: [{ command: 'projects init', why: 'create a project at this orchestrator' }],
      });
    }
    return toProject(row);
  }
}

function toProject(row: ProjectRow): Project {
  return { id: row.id, name: row.name, created_at: row.created_at };
}
