import { createHash, randomBytes } from 'node:crypto';
import { newRequestId, ProviderClient } from '../client/provider-client.js';
import { ProjectsError } from '../protocol/errors.js';
import { ErrorResponse, type Resource, type Service } from '../protocol/provider.js';
import { looksLikeCredential } from '../protocol/secret-shape.js';
import { signatureHeader } from '../protocol/signing.js';

/**
 * The provider conformance suite: protocol checks any provider can be run against over HTTP, as an
 * orchestrator would talk to it (DESIGN.md §2.2, docs/provider-protocol.md). It creates one fresh account
 * and exercises the lifecycle of every free service that needs nothing else first; it never buys anything.
 */
export interface ConformanceOptions {
  /** The provider's base URL (`…/providers/<id>/`). */
  baseUrl: string;
  /** The signing secret the provider shares with the orchestrator. */
  secret: string;
  /** The orchestrator the provider is registered with (consent redirects go there); default: the base URL's origin. */
  orchestratorUrl?: string;
  timeoutMs?: number;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface ConformanceReport {
  baseUrl: string;
  results: CheckResult[];
  passed: boolean;
}

class CheckFailed extends Error {}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailed(message);
}

interface Context {
  options: ConformanceOptions;
  client: ProviderClient;
  services: Service[];
  accountToken?: string;
  /** Answers that carried an access configuration (creations, rotations), for the checks of its marking. */
  issued: Resource[];
}

type Check = { name: string; run(ctx: Context): Promise<void> };

export async function runConformance(
  options: ConformanceOptions,
  onResult: (result: CheckResult) => void = () => {},
): Promise<ConformanceReport> {
  const client = new ProviderClient({
    baseUrl: options.baseUrl,
    secret: options.secret,
    orchestratorId: 'conformance',
    timeoutMs: options.timeoutMs ?? 10_000,
  });
  const ctx: Context = { options, client, services: [], issued: [] };
  const results: CheckResult[] = [];
  for (const check of CHECKS) {
    let result: CheckResult;
    try {
      await check.run(ctx);
      result = { name: check.name, ok: true };
    } catch (error) {
      result = { name: check.name, ok: false, detail: describe(error) };
    }
    results.push(result);
    onResult(result);
  }
  return { baseUrl: client.baseUrl, results, passed: results.every((result) => result.ok) };
}

function describe(error: unknown): string {
  if (error instanceof ProjectsError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** The request is refused with 401 and an error body that says so. */
async function expectRefused(what: string, send: () => ReturnType<ProviderClient['raw']>) {
  const response = await send();
  assert(response.status === 401, `${what}: expected HTTP 401, got ${response.status}`);
  assert(
    ErrorResponse.safeParse(response.json).success,
    `${what}: 401 without an {"error":{code,message}} body`,
  );
}

function quoteBody(serviceId: string, configuration: Record<string, unknown> = {}): string {
  return JSON.stringify({ request_id: newRequestId(), service_id: serviceId, configuration });
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function accountRequest(ctx: Context, email: string, challenge: string) {
  const orchestrator = ctx.options.orchestratorUrl ?? new URL(ctx.client.baseUrl).origin;
  return {
    email,
    name: 'Conformance Check',
    scopes: ['provision'],
    code_challenge: challenge,
    code_challenge_method: 'S256' as const,
    redirect_uri: new URL('/conformance/callback', orchestrator).toString(),
    state: randomBytes(16).toString('hex'),
    expires_at: new Date(Date.now() + 10 * 60_000).toISOString(),
  };
}

function freshEmail(): string {
  return `conformance-${randomBytes(8).toString('hex')}@example.org`;
}

/** Free services that a fresh account can create on its own. */
function lifecycleServices(ctx: Context): Service[] {
  return ctx.services.filter((service) => service.pricing.type === 'free' && !service.requires?.length);
}

function firstQuotable(ctx: Context): Service {
  const service = ctx.services[0];
  assert(service, 'the provider lists no services');
  return service;
}

const CHECKS: Check[] = [
  {
    name: 'health answers a valid document',
    async run(ctx) {
      const health = await ctx.client.health();
      assert(health.status === 'ok' || health.status === 'degraded', 'unexpected status');
    },
  },
  {
    name: 'services: a catalog with JSON Schema configuration',
    async run(ctx) {
      ctx.services = (await ctx.client.services()).services;
      assert(ctx.services.length > 0, 'no services');
      const ids = ctx.services.map((service) => service.id);
      assert(new Set(ids).size === ids.length, 'duplicate service ids');
      for (const service of ctx.services) {
        assert(
          service.configuration_schema.type === 'object',
          `${service.id}: configuration_schema is not an object schema`,
        );
      }
    },
  },
  {
    name: 'signature: a request without one is refused (401)',
    run: (ctx) =>
      expectRefused('unsigned GET', () =>
        ctx.client.raw({ method: 'GET', path: 'provisioning/health', signature: null }),
      ),
  },
  {
    name: 'signature: a wrong secret is refused (401)',
    run: (ctx) => {
      const body = quoteBody(firstQuotable(ctx).id);
      return expectRefused('wrong secret', () =>
        ctx.client.raw({
          method: 'POST',
          path: 'provisioning/quotes',
          body,
          signature: signatureHeader('not-the-secret', body),
        }),
      );
    },
  },
  {
    name: 'signature: a stale timestamp is refused (401)',
    run: (ctx) => {
      const body = quoteBody(firstQuotable(ctx).id);
      const staleHeader = signatureHeader(ctx.options.secret, body, Date.now() - 10 * 60_000);
      return expectRefused('stale', () =>
        ctx.client.raw({ method: 'POST', path: 'provisioning/quotes', body, signature: staleHeader }),
      );
    },
  },
  {
    name: 'signature: a tampered body is refused (401)',
    run: (ctx) => {
      const service = firstQuotable(ctx);
      const signed = quoteBody(service.id);
      const tampered = signed.replace(service.id, `${service.id}x`);
      return expectRefused('tampered', () =>
        ctx.client.raw({
          method: 'POST',
          path: 'provisioning/quotes',
          body: tampered,
          signature: signatureHeader(ctx.options.secret, signed),
        }),
      );
    },
  },
  {
    name: 'signature: a replayed request is refused (401)',
    async run(ctx) {
      const body = quoteBody(firstQuotable(ctx).id);
      const signature = signatureHeader(ctx.options.secret, body);
      const first = await ctx.client.raw({ method: 'POST', path: 'provisioning/quotes', body, signature });
      assert(first.status !== 401, `the original request was refused (HTTP ${first.status})`);
      await expectRefused('replay', () =>
        ctx.client.raw({ method: 'POST', path: 'provisioning/quotes', body, signature }),
      );
    },
  },
  {
    name: 'quotes: every service quotes its example configuration',
    async run(ctx) {
      for (const service of lifecycleServices(ctx)) {
        const quote = await ctx.client.quote({
          service_id: service.id,
          configuration: service.example_configuration ?? {},
        });
        assert(quote.service_id === service.id, `${service.id}: quote for another service`);
        assert(quote.price === 0, `${service.id}: a free service quoted ${quote.price}`);
        assert(Date.parse(quote.expires_at) > Date.now(), `${service.id}: quote already expired`);
      }
    },
  },
  {
    name: 'quotes: an unknown service is an error, not a price',
    async run(ctx) {
      const response = await ctx.client.raw({
        method: 'POST',
        path: 'provisioning/quotes',
        body: quoteBody('nope:no-such-service'),
      });
      assert(response.status === 404 || response.status === 400, `expected 404/400, got ${response.status}`);
      assert(ErrorResponse.safeParse(response.json).success, 'no error body');
    },
  },
  {
    name: 'accounts: an unknown email gets an account and a code; PKCE S256 is enforced',
    async run(ctx) {
      const email = freshEmail();
      const first = pkce();
      const answer = await ctx.client.requestAccount(accountRequest(ctx, email, first.challenge));
      assert(answer.type === 'oauth', `expected 'oauth' for a new email, got '${answer.type}'`);
      const wrong = await ctx.client
        .exchangeCode({
          grant_type: 'authorization_code',
          code: answer.oauth.code,
          code_verifier: pkce().verifier,
        })
        .then(
          () => 'accepted',
          (error: unknown) => (error instanceof ProjectsError ? error.code : 'crashed'),
        );
      assert(wrong !== 'accepted', 'a code was exchanged with the wrong PKCE verifier');
      const second = pkce();
      const again = await ctx.client.requestAccount(accountRequest(ctx, email, second.challenge));
      assert(
        again.type === 'oauth',
        'a repeated request for an auto-created, unclaimed account did not answer oauth',
      );
      const token = await ctx.client.exchangeCode({
        grant_type: 'authorization_code',
        code: again.oauth.code,
        code_verifier: second.verifier,
      });
      ctx.accountToken = token.access_token;
      const reused = await ctx.client
        .exchangeCode({
          grant_type: 'authorization_code',
          code: again.oauth.code,
          code_verifier: second.verifier,
        })
        .then(
          () => true,
          () => false,
        );
      assert(!reused, 'an authorization code was accepted twice');
    },
  },
  {
    name: 'resources: creating without an account token is refused (401)',
    run: (ctx) =>
      expectRefused('no account token', () =>
        ctx.client.raw({
          method: 'POST',
          path: 'provisioning/resources',
          body: JSON.stringify({
            request_id: newRequestId(),
            service_id: lifecycleServices(ctx)[0]?.id ?? firstQuotable(ctx).id,
            configuration: {},
            idempotency_key: `conformance-${randomBytes(8).toString('hex')}`,
          }),
        }),
      ),
  },
  {
    name: 'resources: free services create, replay, read, rotate and remove',
    async run(ctx) {
      const token = ctx.accountToken;
      assert(token, 'no account token (the account check failed)');
      const services = lifecycleServices(ctx);
      assert(services.length > 0, 'no free service without prerequisites to exercise');
      for (const service of services) await lifecycle(ctx, token, service);
    },
  },
  {
    name: 'resources: access keys marked public exist and do not look like credentials',
    async run(ctx) {
      assert(ctx.issued.length > 0, 'no credentials were issued (the lifecycle check failed)');
      const problems = new Set(ctx.issued.flatMap(publicKeyProblems));
      assert(problems.size === 0, [...problems].join('; '));
    },
  },
  {
    name: 'deep links: an auto-created account can be claimed',
    async run(ctx) {
      assert(ctx.accountToken, 'no account token (the account check failed)');
      const link = await ctx.client.createDeepLink(ctx.accountToken, { purpose: 'claim_account' });
      assert(Date.parse(link.expires_at) > Date.now(), 'the link is already expired');
    },
  },
];

async function lifecycle(ctx: Context, token: string, service: Service): Promise<void> {
  const request = {
    service_id: service.id,
    configuration: service.example_configuration ?? {},
    idempotency_key: `conformance-${randomBytes(12).toString('hex')}`,
  };
  const created = await ctx.client.createResource(token, request);
  assert(created.status === 'active', `${service.id}: created as ${created.status}`);
  assert(created.access_configuration, `${service.id}: no access_configuration on creation`);
  ctx.issued.push(created);
  const replay = await ctx.client.createResource(token, request);
  assert(
    replay.id === created.id,
    `${service.id}: a retry with the same idempotency_key made a second resource`,
  );
  const read = await ctx.client.getResource(token, created.id);
  assert(read.id === created.id, `${service.id}: GET returned another resource`);
  assert(!read.access_configuration, `${service.id}: GET exposes credentials`);
  const rotated = await ctx.client.rotateCredentials(token, created.id);
  ctx.issued.push(rotated);
  const before = created.access_configuration;
  const after = rotated.access_configuration ?? {};
  assert(
    Object.keys(before).some((key) => after[key] !== undefined && after[key] !== before[key]),
    `${service.id}: rotate_credentials returned no new credential`,
  );
  const removed = await ctx.client.removeResource(token, created.id);
  assert(removed.status === 'removed', `${service.id}: remove answered ${removed.status}`);
  const gone = await ctx.client.getResource(token, created.id);
  assert(gone.status === 'removed', `${service.id}: still ${gone.status} after remove`);
}

/**
 * `public_keys` lets clients show values (ids, URLs); a token, a password or a URL with userinfo marked
 * public would be shown too, so each marked key must be in the access configuration and its value must not
 * look like a credential. A problem names the key, never the value.
 */
function publicKeyProblems(answer: Resource): string[] {
  const access = answer.access_configuration ?? {};
  return (answer.public_keys ?? []).flatMap((key) => {
    if (!Object.hasOwn(access, key))
      return [`${answer.service_id}: ${key} is marked public but is not in access_configuration`];
    if (looksLikeCredential(access[key] ?? ''))
      return [`${answer.service_id}: ${key} is marked public but its value looks like a credential`];
    return [];
  });
}
