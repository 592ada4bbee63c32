import type { Readable } from 'node:stream';
import { Redactor } from '../core/redact.js';
import {
  AliasResponse,
  BLOB_BATCH_TYPE,
  type CreateDeploymentRequest,
  Deployment,
  DeploymentList,
  DomainAttachment,
  DomainList,
  type ManifestFile,
  ManifestResponse,
} from '../protocol/deploy.js';
import { ProjectsError } from '../protocol/errors.js';
import { type HttpAnswer, HttpClient, headerValue, type RequestOptions } from './http.js';
import { DEFAULT_RETRY_POLICY, parseRetryAfter } from './retry.js';

/**
 * Client of a provider's deploy API (src/protocol/deploy.ts), authorized by the site's deploy token —
 * the one credential the CLI uses to talk to a provider directly. A thin layer over `HttpClient`, which
 * owns the headers, body encoding, `--debug` log with redaction, error bodies → ProjectsError, timeouts
 * and PROVIDER_UNAVAILABLE; this class knows the API's paths, schemas and which calls may be repeated.
 */

export interface DeployClientOptions {
  /** The deploy API root from the site's access configuration, e.g. `http://127.0.0.1:4780/providers/edge/deploy`. */
  url: string;
  token: string;
  timeoutMs?: number;
  /** The command's redactor (the token is registered with it); a private one when absent. */
  redactor?: Redactor;
  debug?: (line: string) => void;
}

export interface Answer<T> {
  body: T;
  /** Milliseconds from `Retry-After`, when the server sent one. */
  retryAfterMs: number | undefined;
}

/**
 * Which calls are retried, stated per call. The content-addressed ones (the manifest question, blob
 * uploads) are: they name their content by hash, so a repeat stores nothing twice. Everything else is sent
 * once, as before this client was built on HttpClient: a create repeated after a lost answer would make a
 * second deployment, promote and rollback move production, and waitUntilReady polls the status anyway.
 */
const CONTENT_ADDRESSED = { retry: true } as const;
const ONCE = { retry: false } as const;

export class DeployClient {
  readonly #http: HttpClient;

  constructor(options: DeployClientOptions) {
    this.#http = new HttpClient({
      baseUrl: new URL('v1/', options.url.endsWith('/') ? options.url : `${options.url}/`).toString(),
      token: options.token,
      redactor: options.redactor ?? new Redactor(),
      timeoutMs: options.timeoutMs ?? 60_000,
      unavailableCode: 'PROVIDER_UNAVAILABLE',
      // An upload is worth more patience than the CLI's short default: up to 4 attempts within 60 s.
      retryPolicy: DEFAULT_RETRY_POLICY,
      ...(options.debug ? { debug: options.debug } : {}),
    });
  }

  /** Every call goes through here, saying whether it may be retried. */
  #exchange<T>(
    method: string,
    path: string,
    options: RequestOptions<T> & { retry: boolean },
  ): Promise<HttpAnswer<T>> {
    return this.#http.exchange(method, path, options);
  }

  async #call<T>(method: string, path: string, options: RequestOptions<T> & { retry: boolean }): Promise<T> {
    return (await this.#exchange(method, path, options)).body;
  }

  async missing(files: readonly ManifestFile[]): Promise<string[]> {
    const answer = await this.#call('POST', 'manifest', {
      body: { files },
      schema: ManifestResponse,
      ...CONTENT_ADDRESSED,
    });
    return answer.missing;
  }

  /** Streams one blob (opened afresh per attempt); the server verifies its hash before keeping it. */
  async putBlob(sha256: string, size: number, open: () => Readable): Promise<void> {
    await this.#call('PUT', `blobs/${sha256}`, {
      raw: { type: 'application/octet-stream', open, length: size },
      ...CONTENT_ADDRESSED,
    });
  }

  /** Uploads several small blobs in one request (see BLOB_BATCH_TYPE); their bytes are sent as they are. */
  async putBlobBatch(blobs: readonly { sha256: string; bytes: Uint8Array }[]): Promise<void> {
    const index = Buffer.from(
      `${JSON.stringify(blobs.map((blob) => ({ sha256: blob.sha256, size: blob.bytes.length })))}\n`,
    );
    const chunks = [index, ...blobs.map((blob) => blob.bytes)];
    await this.#call('POST', 'blob-batches', {
      raw: { type: BLOB_BATCH_TYPE, chunks },
      ...CONTENT_ADDRESSED,
    });
  }

  create(request: CreateDeploymentRequest): Promise<Deployment> {
    return this.#call('POST', 'deployments', { body: request, schema: Deployment, ...ONCE });
  }

  async get(id: string): Promise<Answer<Deployment>> {
    const { body, headers } = await this.#exchange('GET', `deployments/${encodeURIComponent(id)}`, {
      schema: Deployment,
      ...ONCE,
    });
    return { body, retryAfterMs: parseRetryAfter(headerValue(headers['retry-after']), Date.now()) };
  }

  list(): Promise<DeploymentList> {
    return this.#call('GET', 'deployments', { schema: DeploymentList, ...ONCE });
  }

  /** Makes `id` the production deployment; `grant` is the orchestrator's publish grant for it. */
  promote(id: string, grant: string): Promise<AliasResponse> {
    const path = `deployments/${encodeURIComponent(id)}/promote`;
    return this.#call('POST', path, { body: { grant }, schema: AliasResponse, ...ONCE });
  }

  /**
   * Points production back at `id`, or at the deployment before the current one. A grant is needed only
   * for a target that was never in production.
   */
  rollback(options: { id?: string; grant?: string } = {}): Promise<AliasResponse> {
    const body = {
      ...(options.id ? { deployment_id: options.id } : {}),
      ...(options.grant ? { grant: options.grant } : {}),
    };
    return this.#call('POST', 'rollback', { body, schema: AliasResponse, ...ONCE });
  }

  attachDomain(hostname: string): Promise<DomainAttachment> {
    return this.#call('POST', 'domains', { body: { hostname }, schema: DomainAttachment, ...ONCE });
  }

  async domains(): Promise<DomainAttachment[]> {
    return (await this.#call('GET', 'domains', { schema: DomainList, ...ONCE })).domains;
  }

  /**
   * Polls a deployment until it leaves `processing`, waiting as long as each answer's `Retry-After` asks
   * (1 s when absent), up to `timeoutMs`. A failed deployment is an error carrying the server's reason.
   */
  async waitUntilReady(id: string, options: { timeoutMs?: number } = {}): Promise<Deployment> {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      const { body, retryAfterMs: wait } = await this.get(id);
      if (body.status === 'ready') return body;
      if (body.status === 'failed') {
        throw new ProjectsError(
          'DEPLOYMENT_FAILED',
          `deployment ${id} failed: ${body.error ?? 'unknown reason'}`,
          {
            details: { deployment: id },
          },
        );
      }
      const delay = wait ?? 1000;
      if (Date.now() + delay > deadline) {
        throw new ProjectsError('PROVIDER_UNAVAILABLE', `deployment ${id} is still processing`, {
          details: { deployment: id },
          next: [{ command: 'projects deploy list', why: 'check on it later' }],
        });
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
