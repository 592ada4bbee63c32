import { ProjectsError } from '../../../protocol/errors.js';
import type { Money, Resource } from '../../../protocol/orchestrator.js';
import type { Db } from '../../db.js';
import type { SealedColumn, SecretBox } from '../../secret-box.js';
import { newId } from './ids.js';

/**
 * Resources bought through the orchestrator. The provider-issued credentials (access configuration)
 * are kept in their own table so that listings can never carry them; they leave only in the answer of
 * the provision that created them (and its idempotent replay) or of a rotation. They are sealed at rest.
 */
export const RESOURCES_MIGRATION = `
CREATE TABLE runs_resources (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  service TEXT NOT NULL,
  name TEXT,
  status TEXT NOT NULL,
  provider_resource_id TEXT NOT NULL,
  credential_names TEXT NOT NULL,
  price_amount INTEGER,
  price_currency TEXT,
  quote_id TEXT,
  approval_id TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX runs_resources_project ON runs_resources (project_id);
CREATE TABLE runs_resource_credentials (
  resource_id TEXT PRIMARY KEY REFERENCES runs_resources (id),
  access_configuration TEXT NOT NULL
)`;

export const RESOURCE_CREDENTIALS: SealedColumn = {
  table: 'runs_resource_credentials',
  column: 'access_configuration',
};

export interface NewResource {
  userId: string;
  projectId: string;
  provider: string;
  service: string;
  name: string | null;
  providerResourceId: string;
  price: Money | null;
  quoteId: string | null;
  approvalId: string | null;
  credentials: Record<string, string>;
}

interface ResourceRow {
  id: string;
  user_id: string;
  project_id: string;
  provider: string;
  service: string;
  name: string | null;
  status: 'active' | 'removed';
  provider_resource_id: string;
  credential_names: string;
  price_amount: number | null;
  price_currency: string | null;
  quote_id: string | null;
  approval_id: string | null;
  created_at: string;
}

export interface StoredResource {
  resource: Resource;
  quoteId: string | null;
  approvalId: string | null;
}

export class ResourceStore {
  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
  ) {}

  create(input: NewResource, now: Date): Resource {
    const row: ResourceRow = {
      id: newId('res'),
      user_id: input.userId,
      project_id: input.projectId,
      provider: input.provider,
      service: input.service,
      name: input.name,
      status: 'active',
      provider_resource_id: input.providerResourceId,
      credential_names: JSON.stringify(Object.keys(input.credentials).sort()),
      price_amount: input.price?.amount ?? null,
      price_currency: input.price?.currency ?? null,
      quote_id: input.quoteId,
      approval_id: input.approvalId,
      created_at: now.toISOString(),
    };
    const columns = Object.keys(row);
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO runs_resources (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
        )
        .run(row);
      this.saveCredentials(row.id, input.credentials);
    })();
    return toResource(row);
  }

  get(userId: string, id: string): StoredResource {
    const row = this.db
      .prepare('SELECT * FROM runs_resources WHERE id = ? AND user_id = ?')
      .get(id, userId) as ResourceRow | undefined;
    if (!row) throw new ProjectsError('NOT_FOUND', `no resource '${id}'`, { httpStatus: 404 });
    return { resource: toResource(row), quoteId: row.quote_id, approvalId: row.approval_id };
  }

  listByProject(projectId: string): Resource[] {
    const rows = this.db
      .prepare('SELECT * FROM runs_resources WHERE project_id = ? ORDER BY created_at, id')
      .all(projectId) as ResourceRow[];
    return rows.map(toResource);
  }

  /** Names already bought in a project: the look-alike check compares a new name with these. */
  namesInProject(projectId: string): string[] {
    const rows = this.db
      .prepare('SELECT DISTINCT name FROM runs_resources WHERE project_id = ? AND name IS NOT NULL')
      .all(projectId) as { name: string }[];
    return rows.map((row) => row.name);
  }

  credentials(resourceId: string): Record<string, string> {
    const row = this.db
      .prepare('SELECT access_configuration FROM runs_resource_credentials WHERE resource_id = ?')
      .get(resourceId) as { access_configuration: string } | undefined;
    if (!row) return {};
    return JSON.parse(this.secrets.open(row.access_configuration, RESOURCE_CREDENTIALS)) as Record<
      string,
      string
    >;
  }

  saveCredentials(resourceId: string, credentials: Record<string, string>): void {
    this.db
      .prepare(
        `INSERT INTO runs_resource_credentials (resource_id, access_configuration) VALUES (?, ?)
         ON CONFLICT (resource_id) DO UPDATE SET access_configuration = excluded.access_configuration`,
      )
      .run(resourceId, this.secrets.seal(JSON.stringify(credentials), RESOURCE_CREDENTIALS));
    this.db
      .prepare('UPDATE runs_resources SET credential_names = ? WHERE id = ?')
      .run(JSON.stringify(Object.keys(credentials).sort()), resourceId);
  }

  markRemoved(resourceId: string): void {
    this.db.transaction(() => {
      this.db.prepare(`UPDATE runs_resources SET status = 'removed' WHERE id = ?`).run(resourceId);
      this.db.prepare('DELETE FROM runs_resource_credentials WHERE resource_id = ?').run(resourceId);
    })();
  }
}

function toResource(row: ResourceRow): Resource {
  return {
    id: row.id,
    project_id: row.project_id,
    provider: row.provider,
    service: row.service,
    name: row.name,
    status: row.status,
    provider_resource_id: row.provider_resource_id,
    credential_names: JSON.parse(row.credential_names) as string[],
    price:
      row.price_amount === null || row.price_currency === null
        ? null
        : { amount: row.price_amount, currency: row.price_currency },
    created_at: row.created_at,
  };
}
