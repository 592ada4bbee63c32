import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Redactor } from '../core/redact.js';
import { type ErrorCode, isErrorCode, type NextStep, ProjectsError } from '../protocol/errors.js';
import type { CircuitBreaker } from './breaker.js';
import type { Clock } from './clock.js';
import { isRetrySafe, type RetryPolicy, withRetries } from './retry.js';
import { send, type TransportRequest, type TransportResponse } from './transport.js';

/** Anything with a zod-like `parse`; typed structurally so that importing this file never loads zod. */
export interface Parser<T> {
  parse(input: unknown): T;
}

export interface HttpClientOptions {
  baseUrl: string;
  /** Bearer credential; registered with the redactor so it can never be printed. */
  token?: string | undefined;
  redactor: Redactor;
  debug?: (line: string) => void;
  /** Idle time allowed per request (default 30 s): an upload lives as long as bytes move. */
  timeoutMs?: number;
  /** When set, each request must be answered completely within it, however steadily the bytes come. */
  deadlineMs?: number;
  /** The code to answer when the server cannot be reached (exit 8). */
  unavailableCode?: Extract<ErrorCode, 'ORCHESTRATOR_UNAVAILABLE' | 'PROVIDER_UNAVAILABLE'>;
  userAgent?: string;
  /** Retries of calls that are safe to repeat (GETs, keyed POSTs); `false` turns them off. */
  retryPolicy?: Partial<RetryPolicy> | false;
  /** Injected by tests so that backoff needs no real sleeping. */
  clock?: Clock;
  /** The server's circuit breaker: every attempt is admitted by it and counts towards it. */
  breaker?: CircuitBreaker;
  /**
   * This client works for a server that relays its failures to its own callers (the orchestrator calling
   * providers). A failing server — unreachable, 5xx or 429, whatever its body says — is then
   * `unavailableCode` answered as 503, and an answer that makes no sense INVALID_RESPONSE answered as 502,
   * so a relay never passes on another party's word about its own health, nor mistakes it for a refusal.
   */
  gateway?: boolean;
}

/**
 * The CLI's retries: short, since someone is waiting, and never longer than 5 s for a Retry-After —
 * beyond that the command fails at once (S8) and says what to do, rather than hang.
 */
export const CLI_RETRY_POLICY: Partial<RetryPolicy> = {
  maxAttempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 2_000,
  maxRetryAfterMs: 5_000,
  maxElapsedMs: 15_000,
};

/** Bytes in memory, under their media type: the chunks are sent in order, never joined into one buffer. */
export interface ChunkedBody {
  type: string;
  chunks: readonly Uint8Array[];
}

/**
 * A streamed body. A stream is consumed by sending it, so it is given as `open`, called afresh for every
 * attempt: that is what lets a streamed upload be retried at all.
 */
export interface StreamedBody {
  type: string;
  open: () => Readable;
  /** Sent as Content-Length; without it the body goes chunked. */
  length?: number;
}

export type RawBody = ChunkedBody | StreamedBody;

export interface RequestOptions<T> {
  body?: unknown;
  /**
   * The JSON body built afresh for every attempt, instead of `body`: for protocols under which no two
   * requests may be alike (the provider protocol's `request_id`, checked by the provider's replay guard).
   */
  freshBody?: () => unknown;
  /**
   * Headers computed, per attempt, from the exact body text that attempt sends ('' without a body): a
   * signature over the bytes as transmitted. For JSON and form bodies; a raw body is not signed this way.
   */
  signBody?: (body: string) => Record<string, string>;
  /** An `application/x-www-form-urlencoded` body instead of JSON (the OAuth endpoints, RFC 6749). */
  form?: Record<string, string>;
  /** A raw body instead of JSON (uploads). */
  raw?: RawBody;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  schema?: Parser<T>;
  idempotencyKey?: string;
  /**
   * Whether transient failures of this call are retried. By default, when it is safe to repeat
   * (`isRetrySafe`: an idempotent method, or an idempotency key); a client that knows better — a
   * content-addressed POST is harmless to repeat — says so here.
   */
  retry?: boolean;
}

/** A successful answer with what the body alone does not say. */
export interface HttpAnswer<T> {
  body: T;
  status: number;
  headers: IncomingHttpHeaders;
}

const SECRET_HEADERS = new Set(['authorization', 'cookie', 'set-cookie', 'projects-signature']);

/**
 * JSON over HTTP with the conventions of this system: bearer auth, error bodies mapped to ProjectsError
 * (so the CLI exits with the code the server meant), answers validated against the shared schemas, and a
 * `--debug` log that shows method, URL, status, timing and headers — with secrets redacted.
 * Goes over node:http (see transport.ts) because a CLI's startup matters.
 */
export class HttpClient {
  constructor(private readonly options: HttpClientOptions) {
    options.redactor.register(options.token);
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /**
   * One call. A transient failure (unreachable, 5xx, 429, a duplicate still in progress) of a call
   * that is safe to repeat is retried with backoff honouring Retry-After; spend refusals never are.
   */
  async request<T = unknown>(method: string, path: string, request: RequestOptions<T> = {}): Promise<T> {
    return (await this.exchange(method, path, request)).body;
  }

  /** `request`, answering the status and headers too (e.g. a `Retry-After` on a successful answer). */
  exchange<T = unknown>(
    method: string,
    path: string,
    request: RequestOptions<T> = {},
  ): Promise<HttpAnswer<T>> {
    const policy = this.options.retryPolicy ?? CLI_RETRY_POLICY;
    return withRetries(() => this.once(method, path, request), {
      retrySafe: policy !== false && (request.retry ?? isRetrySafe(method, request.idempotencyKey)),
      ...(policy ? { policy } : {}),
      ...(this.options.clock ? { clock: this.options.clock } : {}),
      ...(this.options.breaker ? { breaker: this.options.breaker } : {}),
      onRetry: ({ attempt, delayMs, error }) =>
        this.log(`↻ ${method} ${path}: ${error.code} (attempt ${attempt}); retrying in ${delayMs} ms`),
    });
  }

  /**
   * One attempt, whatever the answer: its status, headers and body parsed as JSON (null when it is not).
   * No retries, no error mapping, no schema — for callers that judge the answer themselves (the provider
   * conformance suite checks what a provider answers to a bad signature). Unreachable still throws.
   */
  async unchecked(
    method: string,
    path: string,
    request: Omit<RequestOptions<unknown>, 'schema' | 'retry'> = {},
  ): Promise<HttpAnswer<unknown>> {
    const { response } = await this.transmit(method, path, request);
    const parsed = parseJson(response.text);
    return { body: parsed === INVALID ? null : parsed, status: response.status, headers: response.headers };
  }

  private async once<T>(method: string, path: string, request: RequestOptions<T>): Promise<HttpAnswer<T>> {
    const { url, response } = await this.transmit(method, path, request);
    const parsed = parseJson(response.text);
    if (response.status < 200 || response.status >= 300) {
      throw this.refusal(response, parsed, url);
    }
    const host = new URL(url).host;
    if (parsed === INVALID) {
      throw new ProjectsError(
        'INVALID_RESPONSE',
        `${host} answered ${method} ${path} with a body that is not JSON`,
        this.relayedAs(502),
      );
    }
    const answer = (body: T): HttpAnswer<T> => ({ body, status: response.status, headers: response.headers });
    if (!request.schema) return answer(parsed as T);
    try {
      return answer(request.schema.parse(parsed));
    } catch (error) {
      throw new ProjectsError(
        'INVALID_RESPONSE',
        `${host} answered ${method} ${path} with an unexpected shape`,
        {
          details: { issues: summarizeIssues(error) },
          ...this.relayedAs(502),
        },
      );
    }
  }

  /** Builds one attempt's headers and body, sends it and logs the exchange. */
  private async transmit(
    method: string,
    path: string,
    request: RequestOptions<unknown>,
  ): Promise<{ url: string; response: TransportResponse }> {
    const url = this.url(path, request.query);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.options.userAgent ?? 'projects-cli',
      ...request.headers,
    };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (request.idempotencyKey) headers['idempotency-key'] = request.idempotencyKey;
    const body = encodeBody(request, headers);
    if (request.signBody) Object.assign(headers, request.signBody(signableText(body)));
    this.log(`→ ${method} ${url} ${describeHeaders(headers)}`);
    // Date.now, not performance.now: the first use of `performance` loads Node's perf_hooks (~1 ms).
    const started = Date.now();
    let response: TransportResponse;
    try {
      response = await send(new URL(url), {
        method,
        headers,
        body,
        timeoutMs: this.options.timeoutMs ?? 30_000,
        deadlineMs: this.options.deadlineMs,
      });
    } catch (error) {
      throw this.unreachable(url, error);
    }
    const elapsed = Date.now() - started;
    this.log(`← ${response.status} ${method} ${url} (${elapsed} ms, ${response.text.length} bytes)`);
    return { url, response };
  }

  /** An error answer as the ProjectsError it stands for; for a gateway, a failing server is unavailable. */
  private refusal(response: TransportResponse, parsed: unknown, url: string): ProjectsError {
    const retryAfter = headerValue(response.headers['retry-after']);
    const { status } = response;
    if (!this.options.gateway || (status < 500 && status !== 429)) {
      return errorFromResponse(status, parsed, url, retryAfter);
    }
    const { origin, pathname } = new URL(url);
    return new ProjectsError(
      this.unavailableCode,
      `${this.serverName} at ${origin} failed on ${pathname} (HTTP ${status})`,
      {
        details: { http_status: status, ...(retryAfter ? { retry_after: retryAfter } : {}) },
        ...this.relayedAs(503),
      },
    );
  }

  /** The HTTP status a gateway answers its own caller with for this failure; nothing otherwise. */
  private relayedAs(status: 502 | 503): { httpStatus?: number } {
    return this.options.gateway ? { httpStatus: status } : {};
  }

  private get unavailableCode(): NonNullable<HttpClientOptions['unavailableCode']> {
    return this.options.unavailableCode ?? 'ORCHESTRATOR_UNAVAILABLE';
  }

  private get serverName(): string {
    return this.unavailableCode === 'PROVIDER_UNAVAILABLE' ? 'the provider' : 'the orchestrator';
  }

  get<T>(path: string, options?: RequestOptions<T>): Promise<T> {
    return this.request('GET', path, options);
  }

  post<T>(path: string, body: unknown, options?: Omit<RequestOptions<T>, 'body'>): Promise<T> {
    return this.request('POST', path, { ...options, body });
  }

  delete<T>(path: string, options?: RequestOptions<T>): Promise<T> {
    return this.request('DELETE', path, options);
  }

  private url(path: string, query: RequestOptions<unknown>['query']): string {
    const base = this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`;
    const url = new URL(path.replace(/^\//, ''), base);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  private log(line: string): void {
    this.options.debug?.(this.options.redactor.redact(line));
  }

  private unreachable(url: string, error: unknown): ProjectsError {
    const code = this.unavailableCode;
    const reason = transportFailure(error);
    const how = reason === 'timeout' ? 'did not answer in time' : 'cannot be reached';
    return new ProjectsError(code, `${this.serverName} at ${new URL(url).origin} ${how}`, {
      cause: error,
      details: { reason },
      next:
        code === 'ORCHESTRATOR_UNAVAILABLE'
          ? [{ command: 'projects sandbox status', why: 'check that the orchestrator is running' }]
          : [],
      ...this.relayedAs(503),
    });
  }
}

/** Why an exchange failed before an answer: `timeout`, or the system's error code (ECONNREFUSED, …). */
function transportFailure(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return 'timeout';
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'network error';
}

/** The text a body signer sees: exactly what goes on the wire. */
function signableText(body: TransportRequest['body']): string {
  if (body === undefined) return '';
  if (typeof body === 'string') return body;
  throw new TypeError('signBody signs JSON and form bodies only, not raw ones');
}

function describeHeaders(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([name, value]) => `${name}=${SECRET_HEADERS.has(name.toLowerCase()) ? '[redacted]' : value}`)
    .join(' ');
}

export function headerValue(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

const INVALID = Symbol('invalid-json');

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return INVALID;
  }
}

const STATUS_CODES: Record<number, ErrorCode> = {
  401: 'AUTH_REQUIRED',
  403: 'SCOPE_DENIED',
  404: 'NOT_FOUND',
  409: 'IDEMPOTENCY_CONFLICT',
  422: 'INVALID_ARGUMENT',
  423: 'FROZEN',
};

/** Turns a server's error answer into the ProjectsError it stands for, keeping its code, details and hints. */
export function errorFromResponse(
  status: number,
  body: unknown,
  url: string,
  retryAfter: string | null,
): ProjectsError {
  const error = (
    body as { error?: { code?: unknown; message?: unknown; details?: unknown; next?: unknown } } | null
  )?.error;
  const host = new URL(url).host;
  const details = {
    ...(isRecord(error?.details) ? error.details : {}),
    ...oauthError(body),
    http_status: status,
    ...(retryAfter ? { retry_after: retryAfter } : {}),
  };
  if (error && isErrorCode(error.code)) {
    const message = typeof error.message === 'string' ? error.message : `${host} refused the request`;
    return new ProjectsError(error.code, message, {
      details,
      next: parseNext(error.next),
      httpStatus: status,
    });
  }
  const code: ErrorCode =
    status >= 500 ? 'PROVIDER_UNAVAILABLE' : (STATUS_CODES[status] ?? 'INVALID_RESPONSE');
  const oauth = oauthError(body);
  const message = oauth
    ? `${host} refused the request: ${oauth.oauth_error_description ?? oauth.oauth_error}`
    : `${host} answered HTTP ${status}`;
  return new ProjectsError(code, message, { details, httpStatus: status });
}

/** Sets the content headers of the request's body and returns what the transport sends (per attempt). */
function encodeBody(
  request: RequestOptions<unknown>,
  headers: Record<string, string>,
): TransportRequest['body'] {
  if (request.raw) return encodeRaw(request.raw, headers);
  if (request.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return new URLSearchParams(request.form).toString();
  }
  const json = request.freshBody ? request.freshBody() : request.body;
  if (json === undefined) return undefined;
  headers['content-type'] = 'application/json';
  return JSON.stringify(json);
}

function encodeRaw(raw: RawBody, headers: Record<string, string>): TransportRequest['body'] {
  headers['content-type'] = raw.type;
  if ('chunks' in raw) {
    headers['content-length'] = String(raw.chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    return raw.chunks;
  }
  if (raw.length !== undefined) headers['content-length'] = String(raw.length);
  return raw.open();
}

/** An OAuth 2.0 error answer (RFC 6749 §5.2): `{"error":"invalid_grant","error_description":"…"}`. */
function oauthError(body: unknown): { oauth_error: string; oauth_error_description?: string } | undefined {
  if (!isRecord(body) || typeof body.error !== 'string') return undefined;
  const description = typeof body.error_description === 'string' ? body.error_description : undefined;
  return { oauth_error: body.error, ...(description ? { oauth_error_description: description } : {}) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseNext(value: unknown): NextStep[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (step): step is NextStep =>
      isRecord(step) && typeof step.command === 'string' && typeof step.why === 'string',
  );
}

function summarizeIssues(error: unknown): string[] {
  const issues = (error as { issues?: { path?: unknown[]; message?: string }[] }).issues;
  if (!Array.isArray(issues)) return [String((error as Error)?.message ?? error)];
  return issues
    .slice(0, 5)
    .map((issue) => `${(issue.path ?? []).join('.') || '(root)'}: ${issue.message ?? 'invalid'}`);
}
