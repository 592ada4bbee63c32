import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { Redactor } from '../core/redact.js';
import {
  type AccountRequest,
  AccountRequestAnswer,
  type CreateResourceRequest,
  DeepLink,
  type DeepLinkRequest,
  HealthResponse,
  Quote,
  type QuoteRequest,
  Resource,
  ServicesResponse,
  type TokenRequest,
  TokenResponse,
  type UpdateServiceRequest,
} from '../protocol/provider.js';
import { ORCHESTRATOR_HEADER, SIGNATURE_HEADER, signatureHeader } from '../protocol/signing.js';
import type { CircuitBreaker } from './breaker.js';
import type { Clock } from './clock.js';
import { HttpClient, headerValue } from './http.js';
import type { RetryPolicy } from './retry.js';

/**
 * The signed client for the orchestrator → provider protocol (DESIGN.md §2.2). Used by the orchestrator's
 * provision runs and by the conformance suite. A layer over `HttpClient`, which owns the transport, body
 * encoding, timeouts, the `--debug` log with redaction, error bodies → ProjectsError, PROVIDER_UNAVAILABLE and
 * the retry loop; this class adds what the protocol asks: every attempt's body gets a fresh `request_id` and
 * is signed exactly as sent, the orchestrator's identity and the account token go along, and answers are
 * validated against the protocol's schemas. A provider that is down, slow or answers garbage surfaces as a
 * ProjectsError (PROVIDER_UNAVAILABLE / INVALID_RESPONSE, answered by the orchestrator as 503 / 502), never as
 * a crash. With `resilience`, calls go through a circuit breaker for this provider and are retried with
 * backoff when safe to repeat (GETs, and POSTs whose body carries an `idempotency_key`); each attempt is a
 * fresh request (new `request_id`, new signature), so the provider's replay guard never trips on it.
 */
export interface ProviderClientOptions {
  /** The provider's base URL, e.g. http://127.0.0.1:4780/providers/edge/ */
  baseUrl: string;
  /** The signing secret shared by this orchestrator and the provider. */
  secret: string;
  /** Sent as `Projects-Orchestrator`. */
  orchestratorId: string;
  /** Deadline of one request, headers and body together. Default 10 s. */
  timeoutMs?: number;
  now?: () => number;
  resilience?: ProviderResilience;
}

/** Safety's resilience layer for one provider: its breaker, and the retry policy (src/client/retry.ts). */
export interface ProviderResilience {
  breaker: CircuitBreaker;
  policy?: Partial<RetryPolicy>;
  clock?: Clock;
}

/** A request as the conformance suite needs to shape it: signature and body under the caller's control. */
export interface RawRequest {
  method: 'GET' | 'POST';
  path: string;
  /** Sent verbatim (already serialized) so that tests can tamper with it after signing. */
  body?: string;
  /** `undefined` signs `body` with the client's secret; `null` sends no signature header. */
  signature?: string | null;
  accountToken?: string;
}

export interface RawResponse {
  status: number;
  json: unknown;
  /** The `Retry-After` header, if any. */
  retryAfter?: string | null;
}

type WithoutRequestId<T> = Omit<T, 'request_id'>;

const DEFAULT_TIMEOUT_MS = 10_000;

export function newRequestId(): string {
  return `req_${randomUUID().replaceAll('-', '')}`;
}

export class ProviderClient {
  readonly baseUrl: string;
  readonly #options: ProviderClientOptions;
  readonly #http: HttpClient;

  constructor(options: ProviderClientOptions) {
    this.#options = options;
    this.baseUrl = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const resilience = options.resilience;
    this.#http = new HttpClient({
      baseUrl: this.baseUrl,
      redactor: new Redactor(),
      timeoutMs,
      deadlineMs: timeoutMs,
      unavailableCode: 'PROVIDER_UNAVAILABLE',
      gateway: true,
      userAgent: 'projects-orchestrator',
      // Without resilience every call is sent once; with it, `policy` refines safety's defaults.
      retryPolicy: resilience ? (resilience.policy ?? {}) : false,
      ...(resilience ? { breaker: resilience.breaker } : {}),
      ...(resilience?.clock ? { clock: resilience.clock } : {}),
    });
  }

  health(): Promise<HealthResponse> {
    return this.#get(HealthResponse, 'provisioning/health');
  }

  services(): Promise<ServicesResponse> {
    return this.#get(ServicesResponse, 'provisioning/services');
  }

  quote(body: WithoutRequestId<QuoteRequest>): Promise<Quote> {
    return this.#post(Quote, 'provisioning/quotes', body);
  }

  requestAccount(body: WithoutRequestId<AccountRequest>): Promise<AccountRequestAnswer> {
    return this.#post(AccountRequestAnswer, 'provisioning/account_requests', body);
  }

  exchangeCode(body: WithoutRequestId<TokenRequest>): Promise<TokenResponse> {
    return this.#post(TokenResponse, 'oauth/token', body);
  }

  createResource(accountToken: string, body: WithoutRequestId<CreateResourceRequest>): Promise<Resource> {
    return this.#post(Resource, 'provisioning/resources', body, accountToken);
  }

  getResource(accountToken: string, id: string): Promise<Resource> {
    return this.#get(Resource, resourcePath(id), accountToken);
  }

  updateService(
    accountToken: string,
    id: string,
    body: WithoutRequestId<UpdateServiceRequest>,
  ): Promise<Resource> {
    return this.#post(Resource, `${resourcePath(id)}/update_service`, body, accountToken);
  }

  rotateCredentials(accountToken: string, id: string): Promise<Resource> {
    return this.#post(Resource, `${resourcePath(id)}/rotate_credentials`, {}, accountToken);
  }

  removeResource(accountToken: string, id: string): Promise<Resource> {
    return this.#post(Resource, `${resourcePath(id)}/remove`, {}, accountToken);
  }

  createDeepLink(accountToken: string, body: WithoutRequestId<DeepLinkRequest>): Promise<DeepLink> {
    return this.#post(DeepLink, 'provisioning/deep_links', body, accountToken);
  }

  /** Sends one request and returns status + parsed JSON (or null). Transport failures still throw. */
  async raw(input: RawRequest): Promise<RawResponse> {
    const body = input.method === 'POST' ? (input.body ?? '{}') : '';
    const signature = input.signature === undefined ? this.#sign(body) : input.signature;
    const answer = await this.#http.unchecked(input.method, input.path, {
      headers: {
        ...this.#headers(input.accountToken),
        ...(signature === null ? {} : { [SIGNATURE_HEADER]: signature }),
      },
      // Sent as the caller's very bytes, so that a test can sign one text and send another.
      ...(input.method === 'POST' ? { raw: { type: 'application/json', chunks: [Buffer.from(body)] } } : {}),
    });
    return {
      status: answer.status,
      json: answer.body,
      retryAfter: headerValue(answer.headers['retry-after']),
    };
  }

  #post<S extends z.ZodType>(
    schema: S,
    path: string,
    body: object,
    accountToken?: string,
  ): Promise<z.infer<S>> {
    return this.#http.request('POST', path, {
      freshBody: () => ({ ...body, request_id: newRequestId() }),
      signBody: this.#signBody,
      headers: this.#headers(accountToken),
      schema,
      // A keyed create is answered with its first result when repeated; any other POST is sent once.
      retry: typeof (body as { idempotency_key?: unknown }).idempotency_key === 'string',
    });
  }

  #get<S extends z.ZodType>(schema: S, path: string, accountToken?: string): Promise<z.infer<S>> {
    return this.#http.request('GET', path, {
      signBody: this.#signBody,
      headers: this.#headers(accountToken),
      schema,
      retry: true,
    });
  }

  /** The signature over the exact body text sent (the empty string for a GET). */
  readonly #signBody = (body: string): Record<string, string> => ({ [SIGNATURE_HEADER]: this.#sign(body) });

  #sign(body: string): string {
    return signatureHeader(this.#options.secret, body, (this.#options.now ?? Date.now)());
  }

  #headers(accountToken: string | undefined): Record<string, string> {
    return {
      [ORCHESTRATOR_HEADER]: this.#options.orchestratorId,
      ...(accountToken ? { authorization: `Bearer ${accountToken}` } : {}),
    };
  }
}

function resourcePath(id: string): string {
  return `provisioning/resources/${encodeURIComponent(id)}`;
}
