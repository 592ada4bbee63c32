import type { ApprovalStatus } from '../../../../protocol/orchestrator.js';
import type { Db } from '../../../db.js';
import type {
  AccountLinkRecord,
  AccountRepository,
  ApprovalDecision,
  ApprovalRecord,
  ApprovalRepository,
  InflightRepository,
  ProjectRecord,
  ProjectRepository,
  ProviderRecord,
  ProviderRepository,
  QuoteRepository,
  ResourceRecord,
  ResourceRepository,
} from '../../runs/repository.js';

/** SQLite implementations of the runs repositories (tables in migrations.ts, `runs_*`). */

/** `INSERT INTO table (a, b) VALUES (@a, @b)` for a record's own keys. */
function insertSql(table: string, record: object): string {
  const columns = Object.keys(record);
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`;
}

export class SqliteProviderRepository implements ProviderRepository {
  constructor(private readonly db: Db) {}

  async upsert(provider: ProviderRecord, updatedAt: string): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO runs_providers (id, name, base_url, signing_secret, terms_url, terms_version, updated_at)
         VALUES (@id, @name, @base_url, @signing_secret, @terms_url, @terms_version, @updated_at)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, base_url = excluded.base_url,
           signing_secret = excluded.signing_secret, terms_url = excluded.terms_url,
           terms_version = excluded.terms_version, updated_at = excluded.updated_at`,
      )
      .run({ ...provider, updated_at: updatedAt });
  }

  async list(): Promise<ProviderRecord[]> {
    return this.db
      .prepare(
        'SELECT id, name, base_url, signing_secret, terms_url, terms_version FROM runs_providers ORDER BY id',
      )
      .all() as ProviderRecord[];
  }

  async find(id: string): Promise<ProviderRecord | undefined> {
    return this.db
      .prepare(
        'SELECT id, name, base_url, signing_secret, terms_url, terms_version FROM runs_providers WHERE id = ?',
      )
      .get(id) as ProviderRecord | undefined;
  }
}

export class SqliteProjectRepository implements ProjectRepository {
  constructor(private readonly db: Db) {}

  async insert(project: ProjectRecord): Promise<void> {
    this.db.prepare(insertSql('runs_projects', project)).run(project);
  }

  async find(userId: string, id: string): Promise<ProjectRecord | undefined> {
    return this.db
      .prepare('SELECT id, user_id, name, created_at FROM runs_projects WHERE id = ? AND user_id = ?')
      .get(id, userId) as ProjectRecord | undefined;
  }
}

export class SqliteQuoteRepository implements QuoteRepository {
  constructor(private readonly db: Db) {}

  async insert(
    quote: { id: string; user_id: string; project_id: string; provider: string; provider_quote_id: string },
    body: unknown,
    expiresAt: string,
    createdAt: string,
  ): Promise<void> {
    const row = { ...quote, body: JSON.stringify(body), expires_at: expiresAt, created_at: createdAt };
    this.db.prepare(insertSql('runs_quotes', row)).run(row);
  }

  async findBody(id: string): Promise<unknown> {
    const row = this.db.prepare('SELECT body FROM runs_quotes WHERE id = ?').get(id) as
      | { body: string }
      | undefined;
    return row && JSON.parse(row.body);
  }
}

export class SqliteInflightRepository implements InflightRepository {
  constructor(private readonly db: Db) {}

  async quoteFor(userId: string, key: string): Promise<string | undefined> {
    const row = this.db
      .prepare('SELECT quote_id FROM runs_inflight WHERE user_id = ? AND idempotency_key = ?')
      .get(userId, key) as { quote_id: string } | undefined;
    return row?.quote_id;
  }

  async remember(userId: string, key: string, quoteId: string, createdAt: string): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO runs_inflight (user_id, idempotency_key, quote_id, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id, idempotency_key) DO NOTHING`,
      )
      .run(userId, key, quoteId, createdAt);
  }

  async forget(userId: string, key: string): Promise<void> {
    this.db.prepare('DELETE FROM runs_inflight WHERE user_id = ? AND idempotency_key = ?').run(userId, key);
  }
}

type ResourceRow = Omit<ResourceRecord, 'credential_names' | 'public_credentials'> & {
  credential_names: string;
  public_credentials: string;
};

export class SqliteResourceRepository implements ResourceRepository {
  constructor(private readonly db: Db) {}

  async insert(resource: ResourceRecord, sealedCredentials: string): Promise<void> {
    const row: ResourceRow = {
      ...resource,
      credential_names: JSON.stringify(resource.credential_names),
      public_credentials: JSON.stringify(resource.public_credentials),
    };
    this.db.prepare(insertSql('runs_resources', row)).run(row);
    this.db
      .prepare('INSERT INTO runs_resource_credentials (resource_id, access_configuration) VALUES (?, ?)')
      .run(resource.id, sealedCredentials);
  }

  async find(userId: string, id: string): Promise<ResourceRecord | undefined> {
    const row = this.db
      .prepare('SELECT * FROM runs_resources WHERE id = ? AND user_id = ?')
      .get(id, userId) as ResourceRow | undefined;
    return row && fromResourceRow(row);
  }

  async findByProviderResource(
    userId: string,
    provider: string,
    providerResourceId: string,
  ): Promise<ResourceRecord | undefined> {
    const row = this.db
      .prepare('SELECT * FROM runs_resources WHERE user_id = ? AND provider = ? AND provider_resource_id = ?')
      .get(userId, provider, providerResourceId) as ResourceRow | undefined;
    return row && fromResourceRow(row);
  }

  async listByProject(projectId: string): Promise<ResourceRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM runs_resources WHERE project_id = ? ORDER BY created_at, id')
      .all(projectId) as ResourceRow[];
    return rows.map(fromResourceRow);
  }

  async namesInProject(projectId: string): Promise<string[]> {
    const rows = this.db
      .prepare('SELECT DISTINCT name FROM runs_resources WHERE project_id = ? AND name IS NOT NULL')
      .all(projectId) as { name: string }[];
    return rows.map((row) => row.name);
  }

  async credentials(resourceId: string): Promise<string | undefined> {
    const row = this.db
      .prepare('SELECT access_configuration FROM runs_resource_credentials WHERE resource_id = ?')
      .get(resourceId) as { access_configuration: string } | undefined;
    return row?.access_configuration;
  }

  async saveCredentials(
    resourceId: string,
    sealed: string,
    names: string[],
    publicCredentials: Record<string, string>,
  ): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO runs_resource_credentials (resource_id, access_configuration) VALUES (?, ?)
         ON CONFLICT (resource_id) DO UPDATE SET access_configuration = excluded.access_configuration`,
      )
      .run(resourceId, sealed);
    this.db
      .prepare('UPDATE runs_resources SET credential_names = ?, public_credentials = ? WHERE id = ?')
      .run(JSON.stringify(names), JSON.stringify(publicCredentials), resourceId);
  }

  async markRemoved(resourceId: string): Promise<void> {
    this.db.prepare(`UPDATE runs_resources SET status = 'removed' WHERE id = ?`).run(resourceId);
    this.db.prepare('DELETE FROM runs_resource_credentials WHERE resource_id = ?').run(resourceId);
  }
}

function fromResourceRow(row: ResourceRow): ResourceRecord {
  return {
    ...row,
    credential_names: JSON.parse(row.credential_names) as string[],
    public_credentials: JSON.parse(row.public_credentials) as Record<string, string>,
  };
}

export class SqliteAccountRepository implements AccountRepository {
  constructor(private readonly db: Db) {}

  async accessToken(userId: string, provider: string): Promise<string | undefined> {
    const row = this.db
      .prepare('SELECT access_token FROM runs_provider_accounts WHERE user_id = ? AND provider = ?')
      .get(userId, provider) as { access_token: string } | undefined;
    return row?.access_token;
  }

  async saveAccount(input: {
    userId: string;
    provider: string;
    accountId: string;
    accessToken: string;
    linkedAt: string;
  }): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO runs_provider_accounts (user_id, provider, account_id, access_token, linked_at)
         VALUES (@userId, @provider, @accountId, @accessToken, @linkedAt)
         ON CONFLICT (user_id, provider) DO UPDATE SET account_id = excluded.account_id,
           access_token = excluded.access_token, linked_at = excluded.linked_at`,
      )
      .run(input);
  }

  async insertLink(link: AccountLinkRecord): Promise<void> {
    this.db.prepare(insertSql('runs_account_links', link)).run(link);
  }

  async findLink(state: string, provider: string): Promise<AccountLinkRecord | undefined> {
    return this.db
      .prepare('SELECT * FROM runs_account_links WHERE state = ? AND provider = ?')
      .get(state, provider) as AccountLinkRecord | undefined;
  }

  async deleteLink(state: string, provider: string): Promise<void> {
    this.db.prepare('DELETE FROM runs_account_links WHERE state = ? AND provider = ?').run(state, provider);
  }

  async pendingConsentUrl(userId: string, provider: string, now: string): Promise<string | undefined> {
    const row = this.db
      .prepare(
        `SELECT consent_url FROM runs_account_links WHERE user_id = ? AND provider = ? AND expires_at > ?
         ORDER BY expires_at DESC LIMIT 1`,
      )
      .get(userId, provider, now) as { consent_url: string } | undefined;
    return row?.consent_url;
  }
}

type ApprovalRow = Omit<ApprovalRecord, 'refundable' | 'warnings'> & { refundable: number; warnings: string };

const APPROVAL_COLUMNS = `id, user_id, status, kind, title, project_id, run_id, provider, service, name_asked,
  name_offered, price_amount, price_currency, billing, refundable, warnings, plan_hash, confirmation, created_at,
  expires_at, decided_by, decided_via, decided_at, reason, consumed_at`;

function fromApprovalRow(row: ApprovalRow): ApprovalRecord {
  return { ...row, refundable: row.refundable === 1, warnings: JSON.parse(row.warnings) as string[] };
}

export class SqliteApprovalRepository implements ApprovalRepository {
  constructor(private readonly db: Db) {}

  async insert(approval: ApprovalRecord): Promise<void> {
    const row: ApprovalRow = {
      ...approval,
      refundable: approval.refundable ? 1 : 0,
      warnings: JSON.stringify(approval.warnings),
    };
    this.db.prepare(insertSql('runs_approvals', row)).run(row);
  }

  async find(userId: string, id: string): Promise<ApprovalRecord | undefined> {
    const row = this.db
      .prepare(`SELECT ${APPROVAL_COLUMNS} FROM runs_approvals WHERE id = ? AND user_id = ?`)
      .get(id, userId) as ApprovalRow | undefined;
    return row && fromApprovalRow(row);
  }

  async list(
    userId: string,
    filter: { status?: ApprovalStatus | undefined; projectId?: string | undefined },
  ): Promise<ApprovalRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT ${APPROVAL_COLUMNS} FROM runs_approvals WHERE user_id = @userId
           AND (@status IS NULL OR status = @status) AND (@projectId IS NULL OR project_id = @projectId)
         ORDER BY created_at DESC, id`,
      )
      .all({ userId, status: filter.status ?? null, projectId: filter.projectId ?? null }) as ApprovalRow[];
    return rows.map(fromApprovalRow);
  }

  async expireOverdue(now: string): Promise<void> {
    this.db
      .prepare(`UPDATE runs_approvals SET status = 'expired' WHERE status = 'pending' AND expires_at <= ?`)
      .run(now);
  }

  async findUsable(
    userId: string,
    planHash: string,
    claimant: string | null,
  ): Promise<ApprovalRecord | undefined> {
    const row = this.db
      .prepare(
        `SELECT ${APPROVAL_COLUMNS} FROM runs_approvals WHERE user_id = ? AND plan_hash = ?
           AND (consumed_at IS NULL OR (consumed_by = ? AND claim_settled = 0)) AND status != 'expired'
         ORDER BY created_at DESC LIMIT 1`,
      )
      .get(userId, planHash, claimant) as ApprovalRow | undefined;
    return row && fromApprovalRow(row);
  }

  async claim(id: string, consumer: string, settled: boolean, now: string): Promise<void> {
    this.db
      .prepare(
        `UPDATE runs_approvals SET consumed_at = ?, consumed_by = ?, claim_settled = ?
         WHERE id = ? AND (consumed_at IS NULL OR (consumed_by = ? AND claim_settled = 0))`,
      )
      .run(now, consumer, settled ? 1 : 0, id, consumer);
  }

  async settle(id: string): Promise<void> {
    this.db.prepare('UPDATE runs_approvals SET claim_settled = 1 WHERE id = ?').run(id);
  }

  async release(id: string): Promise<void> {
    this.db
      .prepare(
        'UPDATE runs_approvals SET consumed_at = NULL, consumed_by = NULL, claim_settled = 1 WHERE id = ?',
      )
      .run(id);
  }

  async decide(id: string, decision: ApprovalDecision): Promise<boolean> {
    const { changes } = this.db
      .prepare(
        `UPDATE runs_approvals SET status = @status, decided_by = @by, decided_via = @via, decided_at = @at,
           reason = @reason WHERE id = @id AND status = 'pending'`,
      )
      .run({ ...decision, id });
    return changes > 0;
  }
}
