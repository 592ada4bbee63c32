import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlobStore } from '../deploy/blobs.js';
import type { EdgeHosting } from '../deploy/hosting.js';
import type { DeployService } from '../deploy/service.js';
import type { DeploymentRow, DeployStore } from '../deploy/store.js';
import { serveStatic } from './static.js';
import type { WorkerPool } from './worker-pool.js';

/**
 * Routes a request to a deployment by its Host header:
 *   `<site>.localhost`                → the site's production deployment
 *   `<id suffix>--<site>.localhost`   → that preview deployment
 *   an attached custom domain         → the site's production deployment
 * Anything else is not ours (the sandbox's own API and pages answer it).
 */

const LOCALHOST_SUFFIX = '.localhost';

export function hostnameOf(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const host = hostHeader.toLowerCase();
  // Strip the port, keeping bracketed IPv6 literals intact.
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
}

type Target =
  | { kind: 'deployment'; row: DeploymentRow }
  | { kind: 'missing'; status: number; message: string; retryAfter?: number };

export class HostRouter {
  readonly #store: DeployStore;
  readonly #blobs: BlobStore;
  readonly #hosting: EdgeHosting;
  readonly #service: DeployService;
  readonly #pool: WorkerPool;
  readonly #log: (line: string) => void;

  constructor(parts: {
    store: DeployStore;
    blobs: BlobStore;
    hosting: EdgeHosting;
    service: DeployService;
    pool: WorkerPool;
    log: (line: string) => void;
  }) {
    this.#store = parts.store;
    this.#blobs = parts.blobs;
    this.#hosting = parts.hosting;
    this.#service = parts.service;
    this.#pool = parts.pool;
    this.#log = parts.log;
  }

  /** Whether this host name is served by deployments rather than by the sandbox's own routes. */
  claims(hostname: string): boolean {
    return hostname.endsWith(LOCALHOST_SUFFIX) || this.#store.domain(hostname) !== undefined;
  }

  #target(hostname: string): Target {
    const notFound: Target = { kind: 'missing', status: 404, message: `nothing is deployed at ${hostname}` };
    let siteId: string | undefined;
    let deploymentId: string | null | undefined;
    if (hostname.endsWith(LOCALHOST_SUFFIX)) {
      const label = hostname.slice(0, -LOCALHOST_SUFFIX.length);
      const [first, siteName] = label.includes('--') ? label.split('--', 2) : [undefined, label];
      siteId = this.#store.siteIdByName(siteName ?? '');
      deploymentId = first === undefined ? siteId && this.#store.productionId(siteId) : `dpl_${first}`;
    } else {
      siteId = this.#store.domain(hostname)?.siteId;
      deploymentId = siteId && this.#store.productionId(siteId);
    }
    if (!siteId || !this.#hosting.siteById(siteId)) return notFound;
    if (!deploymentId) {
      return { kind: 'missing', status: 404, message: 'this site has no production deployment yet' };
    }
    const row = this.#store.deployment(deploymentId);
    if (!row || row.siteId !== siteId) return notFound;
    if (row.status === 'processing') {
      return { kind: 'missing', status: 503, message: 'this deployment is still processing', retryAfter: 1 };
    }
    if (row.status === 'failed') return { kind: 'missing', status: 502, message: 'this deployment failed' };
    return { kind: 'deployment', row };
  }

  /** Serves one request for a host this router claims. */
  async handle(req: IncomingMessage, res: ServerResponse, secure: boolean): Promise<void> {
    const target = this.#target(hostnameOf(req.headers.host));
    if (target.kind === 'missing') {
      res.writeHead(target.status, {
        'content-type': 'text/plain; charset=utf-8',
        ...(target.retryAfter ? { 'retry-after': String(target.retryAfter) } : {}),
      });
      res.end(`${target.message}\n`);
      return;
    }
    const row = target.row;
    if (row.runtime.type === 'static') {
      serveStatic(
        { file: (path) => this.#store.file(row.id, path), open: (sha) => this.#blobs.stream(sha) },
        req,
        res,
      );
      return;
    }
    try {
      await this.#pool.handle(this.#service.workerSpec(row), req, res, secure);
    } catch (error) {
      this.#log(`worker ${row.id}: ${(error as Error).message}`);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('the worker is unavailable\n');
    }
  }
}
