import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
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
import { errorFromResponse } from './http.js';
import { parseRetryAfter } from './retry.js';

/**
 * Client of a provider's deploy API (src/protocol/deploy.ts), authorized by the site's deploy token —
 * the one credential the CLI uses to talk to a provider directly. Answers are validated; error bodies
 * become ProjectsErrors with the server's code; `Retry-After` is surfaced so callers can honour it.
 */

export interface DeployClientOptions {
  /** The deploy API root from the site's access configuration, e.g. `http://127.0.0.1:4780/providers/edge/deploy`. */
  url: string;
  token: string;
  timeoutMs?: number;
  debug?: (line: string) => void;
}

type RequestBody =
  | { json: unknown }
  | { bytes: Uint8Array; type: string }
  | { stream: Readable; size: number; type: string };

/** Sets the content headers of `body` and returns the fetch options that send it. */
function encodeBody(body: RequestBody, headers: Record<string, string>): RequestInit & { duplex?: 'half' } {
  if ('json' in body) {
    headers['content-type'] = 'application/json';
    return { body: JSON.stringify(body.json) };
  }
  headers['content-type'] = body.type;
  if ('bytes' in body) return { body: body.bytes };
  headers['content-length'] = String(body.size);
  return { body: Readable.toWeb(body.stream) as ReadableStream<Uint8Array>, duplex: 'half' };
}

interface Parser<T> {
  parse(input: unknown): T;
}

export interface Answer<T> {
  body: T;
  /** Milliseconds from `Retry-After`, when the server sent one. */
  retryAfterMs: number | undefined;
}

export class DeployClient {
  readonly #base: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #debug: ((line: string) => void) | undefined;

  constructor(options: DeployClientOptions) {
    this.#base = new URL('v1/', options.url.endsWith('/') ? options.url : `${options.url}/`).toString();
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#debug = options.debug;
  }

  async #send<T>(method: string, path: string, schema: Parser<T>, body?: RequestBody): Promise<Answer<T>> {
    const url = new URL(path, this.#base).toString();
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#token}`,
      accept: 'application/json',
    };
    const init = body ? encodeBody(body, headers) : {};
    const started = performance.now();
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...init,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new ProjectsError(
        'PROVIDER_UNAVAILABLE',
        `the deploy API at ${new URL(url).origin} cannot be reached`,
        {
          cause: error,
        },
      );
    }
    this.#debug?.(`${method} ${url} → ${response.status} (${Math.round(performance.now() - started)} ms)`);
    const json = text === '' ? null : safeJson(text);
    const retryAfter = response.headers.get('retry-after');
    if (!response.ok) throw errorFromResponse(response.status, json, url, retryAfter);
    try {
      return { body: schema.parse(json), retryAfterMs: parseRetryAfter(retryAfter, Date.now()) };
    } catch {
      throw new ProjectsError(
        'INVALID_RESPONSE',
        `${new URL(url).host} answered ${method} ${path} unexpectedly`,
      );
    }
  }

  async missing(files: readonly ManifestFile[]): Promise<string[]> {
    return (await this.#send('POST', 'manifest', ManifestResponse, { json: { files } })).body.missing;
  }

  /** Streams one blob (opened afresh per attempt); the server verifies its hash before keeping it. */
  async putBlob(sha256: string, size: number, open: () => Readable): Promise<void> {
    await this.#send(
      'PUT',
      `blobs/${sha256}`,
      { parse: (value) => value },
      { stream: open(), size, type: 'application/octet-stream' },
    );
  }

  /** Uploads several small blobs in one request (see BLOB_BATCH_TYPE). */
  async putBlobBatch(blobs: readonly { sha256: string; bytes: Uint8Array }[]): Promise<void> {
    const index = Buffer.from(
      `${JSON.stringify(blobs.map((blob) => ({ sha256: blob.sha256, size: blob.bytes.length })))}\n`,
    );
    const bytes = Buffer.concat([index, ...blobs.map((blob) => blob.bytes)]);
    await this.#send('POST', 'blob-batches', { parse: (value) => value }, { bytes, type: BLOB_BATCH_TYPE });
  }

  async create(request: CreateDeploymentRequest): Promise<Deployment> {
    return (await this.#send('POST', 'deployments', Deployment, { json: request })).body;
  }

  get(id: string): Promise<Answer<Deployment>> {
    return this.#send('GET', `deployments/${encodeURIComponent(id)}`, Deployment);
  }

  async list(): Promise<DeploymentList> {
    return (await this.#send('GET', 'deployments', DeploymentList)).body;
  }

  /** Makes `id` the production deployment; `grant` is the orchestrator's publish grant for it. */
  async promote(id: string, grant: string): Promise<AliasResponse> {
    const path = `deployments/${encodeURIComponent(id)}/promote`;
    return (await this.#send('POST', path, AliasResponse, { json: { grant } })).body;
  }

  /**
   * Points production back at `id`, or at the deployment before the current one. A grant is needed only
   * for a target that was never in production.
   */
  async rollback(options: { id?: string; grant?: string } = {}): Promise<AliasResponse> {
    const json = {
      ...(options.id ? { deployment_id: options.id } : {}),
      ...(options.grant ? { grant: options.grant } : {}),
    };
    return (await this.#send('POST', 'rollback', AliasResponse, { json })).body;
  }

  async attachDomain(hostname: string): Promise<DomainAttachment> {
    return (await this.#send('POST', 'domains', DomainAttachment, { json: { hostname } })).body;
  }

  async domains(): Promise<DomainAttachment[]> {
    return (await this.#send('GET', 'domains', DomainList)).body.domains;
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

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
