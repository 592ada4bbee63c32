import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { ProjectsError } from '../protocol/errors.js';
import {
  type AccountRequest,
  AccountRequestAnswer,
  type CreateResourceRequest,
  DeepLink,
  type DeepLinkRequest,
  HealthResponse,
  ORCHESTRATOR_HEADER,
  Quote,
  type QuoteRequest,
  Resource,
  ServicesResponse,
  type TokenRequest,
  TokenResponse,
  type UpdateServiceRequest,
} from '../protocol/provider.js';
import { SIGNATURE_HEADER, signatureHeader } from '../protocol/signing.js';
import type { CircuitBreaker } from './breaker.js';
import type { Clock } from './clock.js';
import { errorFromResponse } from './http.js';
import { type RetryPolicy, withRetries } from './retry.js';

/**
 * The signed client for the orchestrator → provider protocol (DESIGN.md §2.2). Used by the orchestrator's
 * provision runs and by the conformance suite. Every request is signed with the shared secret, every POST
 * body gets a fresh `request_id`, and every answer is validated: a provider that is down, slow or answers
 * garbage surfaces as a ProjectsError (PROVIDER_UNAVAILABLE / INVALID_RESPONSE), never as a crash.
 * With `resilience`, calls go through a circuit breaker for this provider and are retried with backoff
 * when safe to repeat (GETs, and POSTs whose body carries an `idempotency_key`); each attempt is a
 * fresh request (new `request_id`, new signature), so the provider's replay guard never trips on it.
 */
export interface ProviderClientOptions {
  /** The provider's base URL, e.g. http://127.0.0.1:4780/providers/edge/ */
  baseUrl: string;
  /** The signing secret shared by this orchestrator and the provider. */
  secret: string;
  /** Sent as `Projects-Orchestrator`. */
  orchestratorId: string;
  /** Per request, headers and body together. Default 10 s. */
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

  constructor(options: ProviderClientOptions) {
    this.#options = options;
    this.baseUrl = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
  }

  health(): Promise<HealthResponse> {
    return this.#get(HealthResponse, { method: 'GET', path: 'provisioning/health' });
  }

  services(): Promise<ServicesResponse> {
    return this.#get(ServicesResponse, { method: 'GET', path: 'provisioning/services' });
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
    return this.#get(Resource, { method: 'GET', path: resourcePath(id), accountToken });
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
    const headers: Record<string, string> = { [ORCHESTRATOR_HEADER]: this.#options.orchestratorId };
    if (input.method === 'POST') headers['content-type'] = 'application/json';
    const signature =
      input.signature === undefined
        ? signatureHeader(this.#options.secret, body, (this.#options.now ?? Date.now)())
        : input.signature;
    if (signature !== null) headers[SIGNATURE_HEADER] = signature;
    if (input.accountToken) headers.authorization = `Bearer ${input.accountToken}`;
    const url = new URL(input.path, this.baseUrl).toString();
    try {
      const response = await fetch(url, {
        method: input.method,
        headers,
        ...(input.method === 'POST' ? { body } : {}),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
      return {
        status: response.status,
        json: parseJson(await response.text()),
        retryAfter: response.headers.get('retry-after'),
      };
    } catch (error) {
      throw new ProjectsError('PROVIDER_UNAVAILABLE', `provider at ${this.baseUrl} is unreachable`, {
        httpStatus: 503,
        details: { provider: this.baseUrl, path: input.path, reason: transportReason(error) },
        cause: error,
      });
    }
  }

  #post<S extends z.ZodType>(
    schema: S,
    path: string,
    body: object,
    accountToken?: string,
  ): Promise<z.infer<S>> {
    const keyed = typeof (body as { idempotency_key?: unknown }).idempotency_key === 'string';
    return this.#resilient(keyed, () =>
      this.#call(schema, {
        method: 'POST',
        path,
        body: JSON.stringify({ ...body, request_id: newRequestId() }),
        ...(accountToken ? { accountToken } : {}),
      }),
    );
  }

  #get<S extends z.ZodType>(schema: S, input: RawRequest): Promise<z.infer<S>> {
    return this.#resilient(true, () => this.#call(schema, input));
  }

  #resilient<T>(retrySafe: boolean, attempt: () => Promise<T>): Promise<T> {
    const resilience = this.#options.resilience;
    if (!resilience) return attempt();
    return withRetries(attempt, {
      retrySafe,
      breaker: resilience.breaker,
      ...(resilience.policy ? { policy: resilience.policy } : {}),
      ...(resilience.clock ? { clock: resilience.clock } : {}),
    });
  }

  async #call<S extends z.ZodType>(schema: S, input: RawRequest): Promise<z.infer<S>> {
    const response = await this.raw(input);
    if (response.status >= 200 && response.status < 300) {
      const parsed = schema.safeParse(response.json);
      if (parsed.success) return parsed.data;
      throw new ProjectsError('INVALID_RESPONSE', `provider answered ${input.path} with an invalid body`, {
        httpStatus: 502,
        details: {
          provider: this.baseUrl,
          path: input.path,
          issues: parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.')}: ${issue.message}`),
        },
      });
    }
    throw this.#failure(input.path, response);
  }

  /** Error answers keep the provider's code; a failing provider (5xx, 429) is PROVIDER_UNAVAILABLE. */
  #failure(path: string, response: RawResponse): ProjectsError {
    const url = new URL(path, this.baseUrl).toString();
    if (response.status >= 500 || response.status === 429) {
      return new ProjectsError(
        'PROVIDER_UNAVAILABLE',
        `provider failed on ${path} (HTTP ${response.status})`,
        {
          httpStatus: 503,
          details: {
            provider: this.baseUrl,
            path,
            status: response.status,
            ...(response.retryAfter ? { retry_after: response.retryAfter } : {}),
          },
        },
      );
    }
    return errorFromResponse(response.status, response.json, url, response.retryAfter ?? null);
  }
}

function resourcePath(id: string): string {
  return `provisioning/resources/${encodeURIComponent(id)}`;
}

function parseJson(text: string): unknown {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function transportReason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return 'timeout';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'network error';
}
