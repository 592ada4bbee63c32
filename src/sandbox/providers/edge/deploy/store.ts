import { randomInt } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { DeploymentStatus, ManifestFile, Runtime } from '../../../../protocol/deploy.js';
import type { SandboxContext } from '../../../context.js';
import type { Db } from '../../../db.js';
import type { SealedColumn, SecretBox } from '../../../secret-box.js';

/** Tables of the serving side, namespaced `deploy_`. */
export const DEPLOY_MIGRATIONS: readonly string[] = [
  `CREATE TABLE deploy_deployments (
     id TEXT PRIMARY KEY,
     site_id TEXT NOT NULL,
     site_name TEXT NOT NULL,
     status TEXT NOT NULL,
     runtime TEXT NOT NULL,
     message TEXT,
     file_count INTEGER NOT NULL,
     total_bytes INTEGER NOT NULL,
     env TEXT NOT NULL,
     error TEXT,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX deploy_deployments_site ON deploy_deployments (site_id);
   CREATE TABLE deploy_files (
     deployment_id TEXT NOT NULL REFERENCES deploy_deployments (id),
     path TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     size INTEGER NOT NULL,
     PRIMARY KEY (deployment_id, path)
   ) WITHOUT ROWID;
   CREATE TABLE deploy_aliases (
     site_id TEXT PRIMARY KEY,
     site_name TEXT NOT NULL UNIQUE,
     deployment_id TEXT REFERENCES deploy_deployments (id),
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE deploy_alias_history (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     site_id TEXT NOT NULL,
     deployment_id TEXT NOT NULL,
     previous_id TEXT,
     kind TEXT NOT NULL,
     at INTEGER NOT NULL
   );
   CREATE TABLE deploy_domains (
     hostname TEXT PRIMARY KEY,
     site_id TEXT NOT NULL,
     zone_id TEXT NOT NULL,
     cert_pem TEXT NOT NULL,
     key_pem TEXT NOT NULL,
     serial TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     not_before INTEGER NOT NULL,
     not_after INTEGER NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX deploy_domains_site ON deploy_domains (site_id);`,
  // Blobs live in pack files (see blobs.ts); this index said where, until the next migration.
  `CREATE TABLE deploy_blobs (
     sha256 TEXT PRIMARY KEY,
     pack TEXT NOT NULL,
     start INTEGER NOT NULL,
     size INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  // One index row per pack (its blobs as JSON [[sha256, start, size], …]) instead of one per blob: writing
  // 10,000 rows with random keys cost a first deploy more than hashing it. Lookups use a map held in memory.
  `CREATE TABLE deploy_packs (name TEXT PRIMARY KEY, blobs TEXT NOT NULL);
   INSERT INTO deploy_packs (name, blobs)
     SELECT pack, json_group_array(json_array(sha256, start, size)) FROM deploy_blobs GROUP BY pack;
   DROP TABLE deploy_blobs;`,
  // When a pack was written: its blobs are kept for the upload grace period even if nothing references
  // them yet (an upload session that has not created its deployment). 0 for packs from before.
  'ALTER TABLE deploy_packs ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;',
];

/** A worker's `env` holds the project's credentials: sealed with the sandbox's key (src/sandbox/secret-box.ts). */
export const DEPLOYMENT_ENV: SealedColumn = { table: 'deploy_deployments', column: 'env' };

export interface DeploymentRow {
  id: string;
  siteId: string;
  siteName: string;
  status: DeploymentStatus;
  runtime: Runtime;
  message: string | null;
  fileCount: number;
  totalBytes: number;
  /** The worker's `env` (the project's credentials), sealed; `DeployStore.env` opens it when needed. */
  sealedEnv: string;
  error: string | null;
  createdAt: number;
}

export interface DomainRow {
  hostname: string;
  siteId: string;
  zoneId: string;
  certPem: string;
  keyPem: string;
  serial: string;
  fingerprint: string;
  notBefore: number;
  notAfter: number;
  createdAt: number;
}

interface RawDeployment {
  id: string;
  site_id: string;
  site_name: string;
  status: DeploymentStatus;
  runtime: string;
  message: string | null;
  file_count: number;
  total_bytes: number;
  env: string;
  error: string | null;
  created_at: number;
}

interface RawDomain {
  hostname: string;
  site_id: string;
  zone_id: string;
  cert_pem: string;
  key_pem: string;
  serial: string;
  fingerprint: string;
  not_before: number;
  not_after: number;
  created_at: number;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `dpl_` + 12 DNS-label-safe characters, so the id can appear in a preview host name. */
export function newDeploymentId(): string {
  let suffix = '';
  for (let i = 0; i < 12; i++) suffix += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return `dpl_${suffix}`;
}

function toDeployment(row: RawDeployment): DeploymentRow {
  return {
    id: row.id,
    siteId: row.site_id,
    siteName: row.site_name,
    status: row.status,
    runtime: JSON.parse(row.runtime) as Runtime,
    message: row.message,
    fileCount: row.file_count,
    totalBytes: row.total_bytes,
    sealedEnv: row.env,
    error: row.error,
    createdAt: row.created_at,
  };
}

function toDomain(row: RawDomain): DomainRow {
  return {
    hostname: row.hostname,
    siteId: row.site_id,
    zoneId: row.zone_id,
    certPem: row.cert_pem,
    keyPem: row.key_pem,
    serial: row.serial,
    fingerprint: row.fingerprint,
    notBefore: row.not_before,
    notAfter: row.not_after,
    createdAt: row.created_at,
  };
}

/** The serving side's stores over the sandbox database: the only way deploy/ reaches SQLite. */
export function openDeployStores(ctx: SandboxContext): { deployments: DeployStore; packs: PackStore } {
  return { deployments: new DeployStore(ctx.db, ctx.secrets), packs: new PackStore(ctx.db) };
}

type Statement = Database.Statement<unknown[]>;

/** Base of deploy's stores: each statement is prepared once, not on every call (serving runs several a request). */
abstract class CachedStatements {
  protected readonly db: Db;
  readonly #statements = new Map<string, Statement>();

  constructor(db: Db) {
    this.db = db;
  }

  protected sql(text: string): Statement {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }
}

/** A pack's index as stored: `[sha256, start, size]` per blob. */
export type PackIndex = readonly (readonly [string, number, number])[];

export interface PackRow {
  name: string;
  blobs: PackIndex;
  createdAt: number;
}

/** The `deploy_packs` index of the blob store (blobs.ts): one row per pack file. */
export class PackStore extends CachedStatements {
  /** Every pack row, or only those written before `before` (a collection pass leaves younger packs alone). */
  *all(before = Number.POSITIVE_INFINITY): Iterable<PackRow> {
    const rows = this.sql('SELECT name, blobs, created_at FROM deploy_packs WHERE created_at < ?').iterate(
      before,
    ) as Iterable<{
      name: string;
      blobs: string;
      created_at: number;
    }>;
    for (const row of rows) {
      yield { name: row.name, blobs: JSON.parse(row.blobs) as PackIndex, createdAt: row.created_at };
    }
  }

  insert(pack: PackRow): void {
    this.sql('INSERT INTO deploy_packs (name, blobs, created_at) VALUES (?, ?, ?)').run(
      pack.name,
      JSON.stringify(pack.blobs),
      pack.createdAt,
    );
  }

  /**
   * Drops the rows of `removed` and adds `added` (a compacted pack) in one transaction that is on disk
   * when this returns: the caller deletes the old pack files next, and the sandbox's usual
   * `synchronous = NORMAL` could lose the commit to a power cut and leave rows naming deleted files.
   */
  replace(removed: readonly string[], added: readonly PackRow[]): void {
    this.db.pragma('synchronous = FULL');
    try {
      this.db.transaction(() => {
        for (const name of removed) this.sql('DELETE FROM deploy_packs WHERE name = ?').run(name);
        for (const pack of added) this.insert(pack);
      })();
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }
}

/** Data access for deployments, the production alias and attached domains. */
export class DeployStore extends CachedStatements {
  readonly #secrets: SecretBox;

  constructor(db: Db, secrets: SecretBox) {
    super(db);
    this.#secrets = secrets;
  }

  createDeployment(input: {
    siteId: string;
    siteName: string;
    runtime: Runtime;
    message: string | undefined;
    env: Record<string, string>;
    files: readonly ManifestFile[];
    status: DeploymentStatus;
    now: number;
  }): DeploymentRow {
    const id = newDeploymentId();
    const totalBytes = input.files.reduce((sum, file) => sum + file.size, 0);
    const insertFile = this.sql(
      'INSERT INTO deploy_files (deployment_id, path, sha256, size) VALUES (?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      this.sql(
        `INSERT INTO deploy_deployments (id, site_id, site_name, status, runtime, message, file_count, total_bytes, env, error, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
      ).run(
        id,
        input.siteId,
        input.siteName,
        input.status,
        JSON.stringify(input.runtime),
        input.message ?? null,
        input.files.length,
        totalBytes,
        this.#secrets.seal(JSON.stringify(input.env), DEPLOYMENT_ENV),
        input.now,
      );
      for (const file of input.files) insertFile.run(id, file.path, file.sha256, file.size);
      this.sql(
        `INSERT INTO deploy_aliases (site_id, site_name, deployment_id, updated_at) VALUES (?, ?, NULL, ?)
           ON CONFLICT (site_id) DO UPDATE SET site_name = excluded.site_name`,
      ).run(input.siteId, input.siteName, input.now);
    })();
    return this.deployment(id)!;
  }

  processingIds(): string[] {
    return (
      this.sql("SELECT id FROM deploy_deployments WHERE status = 'processing'").all() as {
        id: string;
      }[]
    ).map((row) => row.id);
  }

  setStatus(id: string, status: DeploymentStatus, error: string | null = null): void {
    this.sql('UPDATE deploy_deployments SET status = ?, error = ? WHERE id = ?').run(status, error, id);
  }

  /** The worker `env` of a deployment, opened (only workers and views need the values or names). */
  env(row: DeploymentRow): Record<string, string> {
    return JSON.parse(this.#secrets.open(row.sealedEnv, DEPLOYMENT_ENV)) as Record<string, string>;
  }

  deployment(id: string): DeploymentRow | undefined {
    const row = this.sql('SELECT * FROM deploy_deployments WHERE id = ?').get(id) as
      | RawDeployment
      | undefined;
    return row && toDeployment(row);
  }

  deployments(siteId: string, limit: number): DeploymentRow[] {
    return (
      this.sql('SELECT * FROM deploy_deployments WHERE site_id = ? ORDER BY rowid DESC LIMIT ?').all(
        siteId,
        limit,
      ) as RawDeployment[]
    ).map(toDeployment);
  }

  files(deploymentId: string): ManifestFile[] {
    return this.sql('SELECT path, sha256, size FROM deploy_files WHERE deployment_id = ?').all(
      deploymentId,
    ) as ManifestFile[];
  }

  file(deploymentId: string, path: string): ManifestFile | undefined {
    return this.sql('SELECT path, sha256, size FROM deploy_files WHERE deployment_id = ? AND path = ?').get(
      deploymentId,
      path,
    ) as ManifestFile | undefined;
  }

  /** The deployment the site's production alias points at, if any. */
  productionId(siteId: string): string | null {
    const row = this.sql('SELECT deployment_id FROM deploy_aliases WHERE site_id = ?').get(siteId) as
      | { deployment_id: string | null }
      | undefined;
    return row?.deployment_id ?? null;
  }

  siteIdByName(siteName: string): string | undefined {
    const row = this.sql('SELECT site_id FROM deploy_aliases WHERE site_name = ?').get(siteName) as
      | { site_id: string }
      | undefined;
    return row?.site_id;
  }

  /** Points the production alias at `deploymentId`, remembering the previous target for rollback. */
  setProduction(
    siteId: string,
    deploymentId: string,
    kind: 'promote' | 'rollback',
    now: number,
  ): string | null {
    return this.db.transaction(() => {
      const previous = this.productionId(siteId);
      this.sql('UPDATE deploy_aliases SET deployment_id = ?, updated_at = ? WHERE site_id = ?').run(
        deploymentId,
        now,
        siteId,
      );
      this.sql(
        'INSERT INTO deploy_alias_history (site_id, deployment_id, previous_id, kind, at) VALUES (?, ?, ?, ?, ?)',
      ).run(siteId, deploymentId, previous, kind, now);
      return previous;
    })();
  }

  /**
   * What a rollback without an explicit target returns to: the deployment that was in production when
   * the current one was last promoted. Rollbacks themselves are not promotions, so repeated rollbacks walk
   * further back instead of toggling between two deployments.
   */
  rollbackTarget(siteId: string): string | null {
    const current = this.productionId(siteId);
    if (!current) return null;
    const row = this.sql(
      `SELECT previous_id FROM deploy_alias_history
         WHERE site_id = ? AND deployment_id = ? AND kind = 'promote' ORDER BY seq DESC LIMIT 1`,
    ).get(siteId, current) as { previous_id: string | null } | undefined;
    return row?.previous_id ?? null;
  }

  /** Whether the deployment has been the site's production deployment at some point. */
  wasProduction(siteId: string, deploymentId: string): boolean {
    return (
      this.sql('SELECT 1 FROM deploy_alias_history WHERE site_id = ? AND deployment_id = ? LIMIT 1').get(
        siteId,
        deploymentId,
      ) !== undefined
    );
  }

  /** Every site the serving side holds anything of (deployments, an alias, domains). */
  siteIds(): string[] {
    return (
      this.sql(
        `SELECT site_id FROM deploy_deployments UNION SELECT site_id FROM deploy_aliases
           UNION SELECT site_id FROM deploy_domains`,
      ).all() as { site_id: string }[]
    ).map((row) => row.site_id);
  }

  /** Deletes everything of a removed site: deployments, their files, alias, history, domains. Answers the deployment ids. */
  deleteSite(siteId: string): string[] {
    return this.db.transaction(() => {
      const ids = (
        this.sql('SELECT id FROM deploy_deployments WHERE site_id = ?').all(siteId) as {
          id: string;
        }[]
      ).map((row) => row.id);
      this.sql(
        'DELETE FROM deploy_files WHERE deployment_id IN (SELECT id FROM deploy_deployments WHERE site_id = ?)',
      ).run(siteId);
      for (const table of [
        'deploy_aliases',
        'deploy_alias_history',
        'deploy_domains',
        'deploy_deployments',
      ]) {
        this.sql(`DELETE FROM ${table} WHERE site_id = ?`).run(siteId);
      }
      return ids;
    })();
  }

  /** The blobs some deployment's files name. */
  referencedBlobs(): Set<string> {
    const rows = this.sql('SELECT DISTINCT sha256 FROM deploy_files').pluck().all() as string[];
    return new Set(rows);
  }

  saveDomain(domain: DomainRow): void {
    this.sql(
      `INSERT INTO deploy_domains (hostname, site_id, zone_id, cert_pem, key_pem, serial, fingerprint, not_before, not_after, created_at)
         VALUES (@hostname, @siteId, @zoneId, @certPem, @keyPem, @serial, @fingerprint, @notBefore, @notAfter, @createdAt)
         ON CONFLICT (hostname) DO UPDATE SET site_id = excluded.site_id, zone_id = excluded.zone_id,
           cert_pem = excluded.cert_pem, key_pem = excluded.key_pem, serial = excluded.serial,
           fingerprint = excluded.fingerprint, not_before = excluded.not_before, not_after = excluded.not_after`,
    ).run(domain);
  }

  domain(hostname: string): DomainRow | undefined {
    const row = this.sql('SELECT * FROM deploy_domains WHERE hostname = ?').get(hostname) as
      | RawDomain
      | undefined;
    return row && toDomain(row);
  }

  domains(siteId: string): DomainRow[] {
    return (
      this.sql('SELECT * FROM deploy_domains WHERE site_id = ? ORDER BY hostname').all(siteId) as RawDomain[]
    ).map(toDomain);
  }
}
