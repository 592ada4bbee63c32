import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type {
  AliasResponse,
  CreateDeploymentInput,
  Deployment,
  DeploymentList,
  DomainAttachment,
  ManifestFile,
} from '../../../../protocol/deploy.js';
import { ProjectsError } from '../../../../protocol/errors.js';
import { verifyPublishGrant } from '../../../../protocol/publish-grant.js';
import type { CertificateAuthority } from '../../../tls/ca.js';
import type { WorkerPool, WorkerSpec } from '../serve/worker-pool.js';
import type { BlobStore } from './blobs.js';
import type { DnsRecord, EdgeHosting, HostedSite } from './hosting.js';
import type { DeploymentRow, DeployStore, DomainRow } from './store.js';

const LIST_LIMIT = 100;
const RECORD_TTL = 300;
/** A TXT record under this label names the site a host is attached to (ownership, like a verification record). */
const SITE_TXT_LABEL = '_projects-edge';

export interface ServiceOptions {
  store: DeployStore;
  blobs: BlobStore;
  pool: WorkerPool;
  ca: CertificateAuthority;
  hosting: EdgeHosting;
  /** The secret shared with the orchestrator; verifies publish grants. */
  publishSecret: string;
  /** Where worker deployments are materialized as plain files. */
  sitesDir: string;
  /** `http://127.0.0.1:<port>` of the sandbox. */
  baseUrl(): string;
  /** The HTTPS listener's port, once listening. */
  httpsPort(): number | undefined;
  now(): number;
  log(line: string): void;
}

/** Host name label of a preview: the id's suffix, `--`, the site name. */
export function previewLabel(deploymentId: string, siteName: string): string {
  return `${deploymentId.slice('dpl_'.length)}--${siteName}`;
}

/** The deploy API's behaviour, independent of HTTP: deployments, the production alias, domains. */
export class DeployService {
  readonly #o: ServiceOptions;

  constructor(options: ServiceOptions) {
    this.#o = options;
  }

  #siteUrl(label: string): string {
    const port = new URL(this.#o.baseUrl()).port;
    return `http://${label}.localhost:${port}/`;
  }

  productionUrl(siteName: string): string {
    return this.#siteUrl(siteName);
  }

  view(row: DeploymentRow): Deployment {
    return {
      id: row.id,
      site: row.siteName,
      status: row.status,
      runtime: row.runtime,
      message: row.message,
      file_count: row.fileCount,
      total_bytes: row.totalBytes,
      url: this.#siteUrl(previewLabel(row.id, row.siteName)),
      production: this.#o.store.productionId(row.siteId) === row.id,
      env_names: Object.keys(this.#o.store.env(row)).sort(),
      error: row.error,
      created_at: new Date(row.createdAt).toISOString(),
    };
  }

  missing(files: readonly ManifestFile[]): string[] {
    return this.#o.blobs.missing(files.map((file) => file.sha256));
  }

  create(site: HostedSite, request: CreateDeploymentInput): Deployment {
    const files = request.files;
    const missing = this.missing(files);
    if (missing.length > 0) {
      throw new ProjectsError('INVALID_ARGUMENT', `${missing.length} file(s) have not been uploaded yet`, {
        httpStatus: 409,
        details: { missing: missing.slice(0, 100) },
      });
    }
    const runtime = request.runtime;
    if (runtime.type === 'worker' && !files.some((file) => file.path === runtime.main)) {
      throw new ProjectsError(
        'INVALID_ARGUMENT',
        `the worker entry '${runtime.main}' is not in the manifest`,
        {
          httpStatus: 422,
        },
      );
    }
    const row = this.#o.store.createDeployment({
      siteId: site.id,
      siteName: site.name,
      runtime,
      message: request.message,
      env: request.env,
      files,
      // A static deployment is complete once its blobs are all there; a worker must first start.
      status: runtime.type === 'static' ? 'ready' : 'processing',
      now: this.#o.now(),
    });
    if (row.status === 'processing') this.schedule(row.id);
    return this.view(row);
  }

  /** Finishes a deployment off the request path; status reads `processing` until then. */
  schedule(id: string): void {
    setImmediate(() => {
      this.#process(id).catch((error: Error) => this.#o.log(`deploy ${id}: ${error.message}`));
    });
  }

  async #process(id: string): Promise<void> {
    const row = this.#o.store.deployment(id);
    if (row?.status !== 'processing') return;
    try {
      if (row.runtime.type === 'worker') await this.#o.pool.start(this.workerSpec(row));
      this.#o.store.setStatus(id, 'ready');
    } catch (error) {
      this.#o.store.setStatus(id, 'failed', (error as Error).message);
    }
  }

  /** Materializes a worker deployment as plain files (copied out of the packs) the child process may read. */
  workerSpec(row: DeploymentRow): WorkerSpec {
    if (row.runtime.type !== 'worker') throw new Error('not a worker deployment');
    const dir = join(this.#o.sitesDir, row.id);
    const done = join(this.#o.sitesDir, `${row.id}.ready`);
    if (!existsSync(done)) {
      rmSync(dir, { recursive: true, force: true });
      const files = this.#o.store.files(row.id);
      for (const file of files) this.#place(file, dir);
      // `.js` entry points are ES modules unless the deployment says otherwise.
      if (!files.some((file) => file.path === 'package.json')) {
        writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
      }
      writeFileSync(done, '');
    }
    return { id: row.id, dir, main: join(dir, row.runtime.main), env: this.#o.store.env(row) };
  }

  /**
   * Deletes everything held of sites the provisioning side removed: their deployments (previews and
   * rollback targets go with the site), alias, history and domains, running workers, materialized files.
   * Answers how many sites went.
   */
  purgeRemovedSites(): number {
    const removed = this.#o.store.siteIds().filter((id) => !this.#o.hosting.siteById(id));
    for (const siteId of removed) this.purgeSite(siteId);
    return removed.length;
  }

  /** Deletes everything held of one removed site (see purgeRemovedSites); its blobs wait for a collection pass. */
  purgeSite(siteId: string): void {
    for (const id of this.#o.store.deleteSite(siteId)) this.#dematerialize(id);
  }

  #dematerialize(id: string): void {
    this.#o.pool.stop(id);
    // The marker first: a crash in between leaves a directory workerSpec rebuilds, never a marker without one.
    rmSync(join(this.#o.sitesDir, `${id}.ready`), { force: true });
    rmSync(join(this.#o.sitesDir, id), { recursive: true, force: true });
  }

  #place(file: ManifestFile, dir: string): void {
    const target = join(dir, file.path);
    mkdirSync(dirname(target), { recursive: true });
    this.#o.blobs.copyTo(file.sha256, target);
  }

  get(site: HostedSite, id: string): DeploymentRow {
    const row = this.#o.store.deployment(id);
    if (!row || row.siteId !== site.id) {
      throw new ProjectsError('NOT_FOUND', `no deployment ${id} on site ${site.name}`, { httpStatus: 404 });
    }
    return row;
  }

  list(site: HostedSite): DeploymentList {
    return {
      site: site.name,
      production_url: this.productionUrl(site.name),
      production: this.#o.store.productionId(site.id),
      deployments: this.#o.store.deployments(site.id, LIST_LIMIT).map((row) => this.view(row)),
    };
  }

  promote(site: HostedSite, id: string, grant: string): AliasResponse {
    const row = this.get(site, id);
    this.#requireGrant(site, row.id, grant);
    return this.#alias(site, row, 'promote');
  }

  rollback(site: HostedSite, id: string | undefined, grant: string | undefined): AliasResponse {
    const target = id ?? this.#o.store.rollbackTarget(site.id);
    if (!target) {
      throw new ProjectsError('NOT_FOUND', 'there is no earlier production deployment to roll back to', {
        httpStatus: 404,
      });
    }
    const row = this.get(site, target);
    if (!this.#o.store.wasProduction(site.id, row.id)) this.#requireGrant(site, row.id, grant);
    return this.#alias(site, row, 'rollback');
  }

  /** Production changes need the orchestrator's publish grant for exactly this site and deployment. */
  #requireGrant(site: HostedSite, deploymentId: string, grant: string | undefined): void {
    const claims = verifyPublishGrant(this.#o.publishSecret, grant, this.#o.now());
    if (claims?.site === site.id && claims.deployment === deploymentId) return;
    throw new ProjectsError(
      'APPROVAL_REQUIRED',
      'a production deployment needs a publish grant from the orchestrator (a deploy:production credential or a human approval)',
      {
        httpStatus: 403,
        details: { deployment: deploymentId, reason: grant ? 'invalid_grant' : 'missing_grant' },
        next: [
          {
            command: `projects deploy promote ${deploymentId}`,
            why: 'publish it through the orchestrator’s gate',
          },
        ],
      },
    );
  }

  #alias(site: HostedSite, row: DeploymentRow, kind: 'promote' | 'rollback'): AliasResponse {
    if (row.status !== 'ready') {
      throw new ProjectsError('INVALID_ARGUMENT', `deployment ${row.id} is ${row.status}, not ready`, {
        httpStatus: 409,
        details: { status: row.status },
      });
    }
    const previous = this.#o.store.setProduction(site.id, row.id, kind, this.#o.now());
    return {
      site: site.name,
      production: this.view(row),
      previous,
      production_url: this.productionUrl(site.name),
    };
  }

  async attachDomain(site: HostedSite, hostname: string): Promise<DomainAttachment> {
    const zone = this.#o.hosting.zoneFor(hostname);
    if (!zone || zone.accountId !== site.accountId) {
      throw new ProjectsError('NOT_FOUND', `no DNS zone for ${hostname} in this account`, {
        httpStatus: 404,
        next: [{ command: `projects provision registrar:domain ${hostname}`, why: 'buy the domain first' }],
      });
    }
    const isApex = hostname === zone.name;
    const hostnames = isApex ? [hostname, `www.${hostname}`] : [hostname];
    const records = this.#records(site, hostname, isApex);
    for (const group of groupByNameAndType(records)) {
      this.#o.hosting.replaceRecords(zone.id, group[0]!.name, group[0]!.type, group);
    }
    const cert = await this.#o.ca.issue(hostnames);
    const now = this.#o.now();
    for (const name of hostnames) {
      this.#o.store.saveDomain({
        hostname: name,
        siteId: site.id,
        zoneId: zone.id,
        certPem: cert.certPem,
        keyPem: cert.keyPem,
        serial: cert.serial,
        fingerprint: cert.sha256Fingerprint,
        notBefore: cert.notBefore.getTime(),
        notAfter: cert.notAfter.getTime(),
        createdAt: now,
      });
    }
    return this.domainView(this.#o.store.domain(hostname)!, site);
  }

  #records(site: HostedSite, hostname: string, isApex: boolean): DnsRecord[] {
    const records: DnsRecord[] = [
      { name: hostname, type: 'A', value: '127.0.0.1', ttl: RECORD_TTL },
      { name: hostname, type: 'AAAA', value: '::1', ttl: RECORD_TTL },
      { name: `${SITE_TXT_LABEL}.${hostname}`, type: 'TXT', value: `site=${site.name}`, ttl: RECORD_TTL },
    ];
    if (isApex) records.push({ name: `www.${hostname}`, type: 'CNAME', value: hostname, ttl: RECORD_TTL });
    return records;
  }

  domains(site: HostedSite): DomainAttachment[] {
    return this.#o.store.domains(site.id).map((row) => this.domainView(row, site));
  }

  domainView(row: DomainRow, site: HostedSite): DomainAttachment {
    const port = this.#o.httpsPort();
    const records = this.#o.hosting
      .records(row.zoneId)
      .filter(
        (record) => record.name === row.hostname || record.name === `${SITE_TXT_LABEL}.${row.hostname}`,
      );
    return {
      hostname: row.hostname,
      site: site.name,
      records: records.map(({ name, type, value, ttl }) => ({ name, type, value, ttl })),
      certificate: {
        serial: row.serial,
        sha256_fingerprint: row.fingerprint,
        not_before: new Date(row.notBefore).toISOString(),
        not_after: new Date(row.notAfter).toISOString(),
      },
      https_url: port ? `https://${row.hostname}:${port}/` : '',
      created_at: new Date(row.createdAt).toISOString(),
    };
  }
}

function groupByNameAndType(records: readonly DnsRecord[]): DnsRecord[][] {
  const groups = new Map<string, DnsRecord[]>();
  for (const record of records) {
    const key = `${record.name} ${record.type}`;
    groups.set(key, [...(groups.get(key) ?? []), record]);
  }
  return [...groups.values()];
}
