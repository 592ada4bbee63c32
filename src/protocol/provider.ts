import { z } from 'zod';

/**
 * The orchestrator ↔ provider provisioning protocol (DESIGN.md §2.2), as zod schemas shared by the sandbox
 * providers, the signed client the orchestrator uses and the conformance suite. docs/provider-protocol.md
 * is generated from these (`z.toJSONSchema`); change a schema, regenerate the doc.
 *
 * Conventions: money is integer minor units plus an ISO currency (`usd`); timestamps are ISO 8601 strings;
 * every POST body carries a fresh `request_id` (the signature replay guard relies on it).
 */

export const PROTOCOL_VERSION = '2026-12-01';

const requestId = z.string().min(8).max(200).describe('Fresh per request; a replayed signature is refused.');
const timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 timestamp');
const currency = z
  .string()
  .regex(/^[a-z]{3}$/)
  .describe('ISO 4217 currency code, lower case');
const minorUnits = z.number().int().nonnegative().describe('Amount in minor units (cents)');
const resourceId = z.string().min(1).max(200);

// ---------------------------------------------------------------------------------------------------------
// health + catalog

export const HealthResponse = z
  .object({
    status: z.enum(['ok', 'degraded']),
    provider: z.object({ id: z.string(), name: z.string() }),
    protocol_version: z.string(),
  })
  .meta({ id: 'HealthResponse', description: 'GET provisioning/health' });
export type HealthResponse = z.infer<typeof HealthResponse>;

export const Pricing = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('free') }),
    z.object({
      type: z.literal('paid'),
      billing: z.enum(['one_time', 'recurring']),
      interval: z.enum(['month', 'year']).nullable().describe('Billing interval of recurring prices'),
      currency,
      amount: minorUnits
        .nullable()
        .describe('List price; null when only a quote can tell (e.g. a domain name depends on its TLD)'),
      refundable: z.boolean(),
    }),
  ])
  .meta({ id: 'Pricing' });
export type Pricing = z.infer<typeof Pricing>;

export const Plan = z
  .object({ id: z.string(), description: z.string(), pricing: Pricing })
  .meta({ id: 'Plan', description: 'A tier of a service, chosen with `configuration.plan`' });
export type Plan = z.infer<typeof Plan>;

export const Service = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*:[a-z0-9][a-z0-9-]*$/)
      .describe('`<kind>:<name>`, e.g. registrar:domain'),
    name: z.string(),
    description: z.string(),
    categories: z.array(z.string()),
    kind: z.string().describe('What the resource is: domain, dns_zone, site, kv_store…'),
    pricing: Pricing.describe('Pricing of the default plan'),
    plans: z.array(Plan).optional(),
    configuration_schema: z
      .record(z.string(), z.unknown())
      .describe('JSON Schema (draft 2020-12) of `configuration` for quotes and resources'),
    example_configuration: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('A configuration that provisions successfully for a fresh account (used by conformance)'),
    requires: z
      .array(z.string())
      .optional()
      .describe('Services that must exist first (e.g. dns:zone needs a domain); conformance skips these'),
  })
  .meta({ id: 'Service' });
export type Service = z.infer<typeof Service>;

export const ServicesResponse = z
  .object({ services: z.array(Service) })
  .meta({ id: 'ServicesResponse', description: 'GET provisioning/services' });
export type ServicesResponse = z.infer<typeof ServicesResponse>;

// ---------------------------------------------------------------------------------------------------------
// quotes

export const QuoteRequest = z
  .object({
    request_id: requestId,
    service_id: z.string(),
    configuration: z.record(z.string(), z.unknown()).default({}),
  })
  .meta({ id: 'QuoteRequest', description: 'POST provisioning/quotes' });
export type QuoteRequest = z.input<typeof QuoteRequest>;

export const Quote = z
  .object({
    id: z.string().describe('qt_…; pass it to POST provisioning/resources'),
    service_id: z.string(),
    configuration: z.record(z.string(), z.unknown()),
    availability: z.enum(['available', 'unavailable']),
    unavailable_reason: z.enum(['taken', 'reserved', 'invalid']).nullable(),
    price: minorUnits.describe('What POST provisioning/resources will capture (first period if recurring)'),
    currency,
    billing: z.enum(['free', 'one_time', 'recurring']),
    interval: z.enum(['month', 'year']).nullable(),
    refundable: z.boolean(),
    premium: z.boolean().describe('Priced above the standard rate (premium domain names)'),
    renewal_price: minorUnits.nullable().describe('Price of each renewal (domains) or period (recurring)'),
    name_requested: z.string().nullable().describe('The name asked for (domains), as sent'),
    name_offered: z
      .string()
      .nullable()
      .describe('The exact name this quote would buy — compare it with name_requested before paying'),
    expires_at: timestamp,
  })
  .meta({ id: 'Quote', description: 'Answer of POST provisioning/quotes' });
export type Quote = z.infer<typeof Quote>;

// ---------------------------------------------------------------------------------------------------------
// account linking

export const AccountRequest = z
  .object({
    request_id: requestId,
    email: z.email(),
    name: z.string().max(200).optional(),
    scopes: z.array(z.string()).default([]),
    code_challenge: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43,128}$/)
      .describe('PKCE: BASE64URL(SHA256(code_verifier))'),
    code_challenge_method: z.literal('S256'),
    redirect_uri: z.url().describe("The orchestrator's callback for the consent page"),
    state: z.string().min(8).max(500).describe('Opaque; echoed to redirect_uri'),
    expires_at: timestamp.describe('The link request is void after this'),
  })
  .meta({ id: 'AccountRequest', description: 'POST provisioning/account_requests' });
export type AccountRequest = z.input<typeof AccountRequest>;

export const AccountRequestAnswer = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('oauth'),
      oauth: z.object({ code: z.string(), expires_at: timestamp }),
      account: z.object({
        id: z.string(),
        created: z.boolean().describe('false: an unclaimed account auto-created earlier for this email'),
      }),
    }),
    z.object({
      type: z.literal('requires_auth'),
      requires_auth: z.object({
        redirect_url: z
          .url()
          .describe("The provider's consent page; the human signs in there and is sent to redirect_uri"),
        expires_at: timestamp,
      }),
    }),
  ])
  .meta({
    id: 'AccountRequestAnswer',
    description:
      '`oauth`: the provider created the account, exchange the code at oauth/token. `requires_auth`: the ' +
      'email has an account; send the human to redirect_url, which returns `code` and `state` to redirect_uri.',
  });
export type AccountRequestAnswer = z.infer<typeof AccountRequestAnswer>;

export const TokenRequest = z
  .object({
    request_id: requestId,
    grant_type: z.literal('authorization_code'),
    code: z.string(),
    code_verifier: z.string().regex(/^[A-Za-z0-9._~-]{43,128}$/),
  })
  .meta({ id: 'TokenRequest', description: 'POST oauth/token' });
export type TokenRequest = z.input<typeof TokenRequest>;

export const TokenResponse = z
  .object({
    access_token: z.string().describe('Provider account token: `Authorization: Bearer …` on resource calls'),
    token_type: z.literal('bearer'),
    scope: z.string(),
    account_id: z.string(),
  })
  .meta({ id: 'TokenResponse' });
export type TokenResponse = z.infer<typeof TokenResponse>;

// ---------------------------------------------------------------------------------------------------------
// resources

export const PaymentCredentials = z
  .object({
    type: z.literal('payment_token'),
    token: z.string().regex(/^spt_/),
    capture_url: z.url().describe("The orchestrator's capture endpoint (…/v1/provider/captures)"),
  })
  .meta({ id: 'PaymentCredentials' });
export type PaymentCredentials = z.infer<typeof PaymentCredentials>;

export const CreateResourceRequest = z
  .object({
    request_id: requestId,
    service_id: z.string(),
    configuration: z.record(z.string(), z.unknown()).default({}),
    idempotency_key: z
      .string()
      .min(8)
      .max(200)
      .describe('Derived from the run and step; a retry with the same key returns the first resource'),
    quote_id: z.string().optional().describe('Required for paid services'),
    payment_credentials: PaymentCredentials.optional().describe('Required for paid services'),
  })
  .meta({ id: 'CreateResourceRequest', description: 'POST provisioning/resources' });
export type CreateResourceRequest = z.input<typeof CreateResourceRequest>;

export const Billing = z
  .object({
    status: z.enum(['none', 'paid', 'active', 'canceled']),
    amount: minorUnits,
    currency,
    billing: z.enum(['free', 'one_time', 'recurring']),
    interval: z.enum(['month', 'year']).nullable(),
    refundable: z.boolean(),
    capture_id: z.string().nullable(),
  })
  .meta({ id: 'Billing' });
export type Billing = z.infer<typeof Billing>;

export const Resource = z
  .object({
    id: resourceId.describe('res_…'),
    service_id: z.string(),
    status: z.enum(['active', 'pending', 'removed']),
    configuration: z.record(z.string(), z.unknown()),
    details: z.record(z.string(), z.unknown()).describe('Non-secret facts (domain name, zone, URLs, limits)'),
    access_configuration: z
      .record(z.string(), z.string())
      .optional()
      .describe(
        'Credentials as environment variables. Only in the answers of create (and its idempotent replays) ' +
          'and rotate_credentials — never in GET.',
      ),
    public_keys: z
      .array(z.string())
      .optional()
      .describe(
        'Names of access_configuration entries whose values are not secret (ids, hostnames, URLs without ' +
          'credentials in them), which clients may show; every other entry is a secret. Absent: all are ' +
          'secret. A value shaped like a credential is treated as secret whatever this says.',
      ),
    billing: Billing,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Resource' });
export type Resource = z.infer<typeof Resource>;

export const UpdateServiceRequest = z
  .object({
    request_id: requestId,
    configuration: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'UpdateServiceRequest', description: 'POST provisioning/resources/:id/update_service' });
export type UpdateServiceRequest = z.input<typeof UpdateServiceRequest>;

export const ResourceActionRequest = z.object({ request_id: requestId }).meta({
  id: 'ResourceActionRequest',
  description: 'POST provisioning/resources/:id/rotate_credentials and …/remove',
});
export type ResourceActionRequest = z.input<typeof ResourceActionRequest>;

export const DeepLinkRequest = z
  .object({
    request_id: requestId,
    purpose: z
      .enum(['claim_account', 'dashboard'])
      .describe('claim_account: the human sets a password on an auto-created account'),
    resource_id: resourceId.optional(),
  })
  .meta({ id: 'DeepLinkRequest', description: 'POST provisioning/deep_links' });
export type DeepLinkRequest = z.input<typeof DeepLinkRequest>;

export const DeepLink = z
  .object({
    purpose: z.enum(['claim_account', 'dashboard']),
    url: z.url(),
    expires_at: timestamp,
  })
  .meta({ id: 'DeepLink' });
export type DeepLink = z.infer<typeof DeepLink>;

/** Error body of every failure (codes: src/protocol/errors.ts). */
export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'ErrorResponse' });

// ---------------------------------------------------------------------------------------------------------
// capture (provider → orchestrator)

export const CaptureRequest = z
  .object({
    request_id: requestId,
    token: z.string().regex(/^spt_[A-Za-z0-9_]+$/),
    amount: z.int().min(1).describe('minor units, at most the token max_amount'),
    currency,
    idempotency_key: z.string().min(8).max(200),
    description: z.string().max(500).optional(),
  })
  .meta({
    id: 'CaptureRequest',
    description:
      'POST <capture_url>, sent by the provider to the orchestrator it is registered with, signed with ' +
      'its own signing secret and header `Projects-Provider: <id>`',
  });
export type CaptureRequest = z.infer<typeof CaptureRequest>;

export const CaptureResponse = z
  .object({
    capture_id: z.string().regex(/^cap_[A-Za-z0-9]+$/),
    amount: minorUnits,
    currency,
    replayed: z.boolean().describe('true when the idempotency key was seen: nothing was charged again'),
  })
  .meta({ id: 'CaptureResponse' });
export type CaptureResponse = z.infer<typeof CaptureResponse>;

/** Every endpoint: method, path relative to the provider base URL, request and answer schema. */
export const PROVIDER_ENDPOINTS = [
  { method: 'GET', path: 'provisioning/health', request: null, response: HealthResponse, auth: 'signature' },
  {
    method: 'GET',
    path: 'provisioning/services',
    request: null,
    response: ServicesResponse,
    auth: 'signature',
  },
  { method: 'POST', path: 'provisioning/quotes', request: QuoteRequest, response: Quote, auth: 'signature' },
  {
    method: 'POST',
    path: 'provisioning/account_requests',
    request: AccountRequest,
    response: AccountRequestAnswer,
    auth: 'signature',
  },
  { method: 'POST', path: 'oauth/token', request: TokenRequest, response: TokenResponse, auth: 'signature' },
  {
    method: 'POST',
    path: 'provisioning/resources',
    request: CreateResourceRequest,
    response: Resource,
    auth: 'signature + account token',
  },
  {
    method: 'GET',
    path: 'provisioning/resources/:id',
    request: null,
    response: Resource,
    auth: 'signature + account token',
  },
  {
    method: 'POST',
    path: 'provisioning/resources/:id/update_service',
    request: UpdateServiceRequest,
    response: Resource,
    auth: 'signature + account token',
  },
  {
    method: 'POST',
    path: 'provisioning/resources/:id/rotate_credentials',
    request: ResourceActionRequest,
    response: Resource,
    auth: 'signature + account token',
  },
  {
    method: 'POST',
    path: 'provisioning/resources/:id/remove',
    request: ResourceActionRequest,
    response: Resource,
    auth: 'signature + account token',
  },
  {
    method: 'POST',
    path: 'provisioning/deep_links',
    request: DeepLinkRequest,
    response: DeepLink,
    auth: 'signature + account token',
  },
] as const;
