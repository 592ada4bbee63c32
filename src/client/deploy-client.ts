import type { Readable } from 'node:stream';
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
import { errorFromResponse, headerValue } from './http.js';
import { parseRetryAfter } from './retry.js';
import { send, type TransportRequest, type TransportResponse } from './transport.js';

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
  | { chunks: readonly Uint8Array[]; type: string }
  | { stream: Readable; size: number; type: string };

/** Sets the content headers of `body` and returns what the transport sends. */
function encodeBody(body: RequestBody, headers: Record<string, string>): TransportRequest['body'] {
  if ('json' in body) {
    headers['content-type'] = 'application/json';
    return JSON.stringify(body.json);
  }
  headers['content-type'] = body.type;
  if ('chunks' in body) {
    headers['content-length'] = String(body.chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    return body.chunks;
  }
  headers['content-length'] = String(body.size);
  return body.stream;
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
    const encoded = body ? encodeBody(body, headers) : undefined;
    const started = performance.now();
    let response: TransportResponse;
    try {
      response = await send(new URL(url), {
        method,
        headers,
        body: encoded,
        timeoutMs: this.#timeoutMs,
      });
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
    const json = response.text === '' ? null : safeJson(response.text);
    const retryAfter = headerValue(response.headers['retry-after']);
    if (response.status < 200 || response.status >= 300) {
      throw errorFromResponse(response.status, json, url, retryAfter);
    }
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

  /** Uploads several small blobs in one request (see BLOB_BATCH_TYPE); their bytes are sent as they are. */
  async putBlobBatch(blobs: readonly { sha256: string; bytes: Uint8Array }[]): Promise<void> {
    const index = Buffer.from(
      `${JSON.stringify(blobs.map((blob) => ({ sha256: blob.sha256, size: blob.bytes.length })))}\n`,
    );
    const chunks = [index, ...blobs.map((blob) => blob.bytes)];
    await this.#send('POST', 'blob-batches', { parse: (value) => value }, { chunks, type: BLOB_BATCH_TYPE });
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
