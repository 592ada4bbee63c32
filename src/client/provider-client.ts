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
import { errorFromResponse } from './http.js';

/**
 * The signed client for the orchestrator → provider protocol (DESIGN.md §2.2). Used by the orchestrator's
 * provision runs and by the conformance suite. Every request is signed with the shared secret, every POST
 * body gets a fresh `request_id`, and every answer is validated: a provider that is down, slow or answers
 * garbage surfaces as a ProjectsError (PROVIDER_UNAVAILABLE / INVALID_RESPONSE), never as a crash.
 * No retries here: callers (runs, safety's retry layer) decide, with idempotency keys in the bodies.
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
    return this.#call(HealthResponse, { method: 'GET', path: 'provisioning/health' });
  }

  services(): Promise<ServicesResponse> {
    return this.#call(ServicesResponse, { method: 'GET', path: 'provisioning/services' });
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
    return this.#call(Resource, { method: 'GET', path: resourcePath(id), accountToken });
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
      return { status: response.status, json: parseJson(await response.text()) };
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
    const payload = JSON.stringify({ ...body, request_id: newRequestId() });
    return this.#call(schema, {
      method: 'POST',
      path,
      body: payload,
      ...(accountToken ? { accountToken } : {}),
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
          details: { provider: this.baseUrl, path, status: response.status },
        },
      );
    }
    return errorFromResponse(response.status, response.json, url, null);
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
