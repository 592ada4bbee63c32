import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Quote, Service } from '../../../protocol/provider.js';
import type { FrameworkStore, ProviderStorage } from './store.js';

/** What every provider module is constructed with (from the composition root, src/sandbox/modules.ts). */
export interface ProviderOptions {
  /** Mounted at /providers/<id>; also the table prefix. */
  id: string;
  /** Shared with the orchestrator: verifies its requests, signs this provider's capture calls. */
  signingSecret: string;
  /**
   * The orchestrator this provider is registered with: the only origin its payment tokens are captured at
   * and its consent pages redirect to. Defaults to the sandbox's own root URL.
   */
  orchestratorUrl?: string;
}

/** The pricing facts of one configuration; the framework adds id, expiry and the echo fields. */
export type QuoteTerms = Omit<Quote, 'id' | 'service_id' | 'configuration' | 'expires_at'>;

/** The terms of a free item that is always available, echoing the name asked for and the name offered. */
export function freeTerms(
  names: { requested: string | null; offered: string | null } = { requested: null, offered: null },
): QuoteTerms {
  return {
    availability: 'available',
    unavailable_reason: null,
    price: 0,
    currency: 'usd',
    billing: 'free',
    interval: null,
    refundable: true,
    premium: false,
    renewal_price: null,
    name_requested: names.requested,
    name_offered: names.offered,
  };
}

export interface ResourceRecord {
  id: string;
  accountId: string;
  serviceId: string;
  status: 'pending' | 'active' | 'removed' | 'payment_failed';
  configuration: Record<string, unknown>;
  details: Record<string, unknown>;
}

/** Services and extra routes use this to reach storage and the framework's credentials. */
export interface ProviderRuntime {
  id: string;
  /**
   * The provider's tables, for its store modules only (`store.ts`: the one kind of provider file with SQL,
   * test/providers/boundary.test.ts); services and routes call the named methods of those stores.
   */
  storage: ProviderStorage;
  /** The provider's base URL with a trailing slash, e.g. http://127.0.0.1:4780/providers/edge/ */
  baseUrl(): string;
  /** The registered orchestrator's root URL (no trailing slash). */
  orchestratorUrl(): string;
  now(): number;
  /** Issues a new secret credential of `kind` for a resource; only its hash is stored. */
  issueCredential(resourceId: string, kind: string, prefix: string): string;
  /** The active resource a credential belongs to, or undefined (unknown, rotated, removed). */
  verifyCredential(token: string, kind: string): ResourceRecord | undefined;
  /** Revokes every credential of a resource (the framework does this itself on rotation and removal). */
  revokeCredentials(resourceId: string): void;
  /** Creates a companion resource directly (e.g. the DNS zone of a registered domain), no billing. */
  createCompanion(
    accountId: string,
    serviceId: string,
    configuration: Record<string, unknown>,
  ): ResourceRecord;
  resource(id: string): ResourceRecord | undefined;
  /** Tears a resource down (teardown, credentials, recurring billing); used for companions. */
  removeResource(id: string): void;
}

export interface ServiceDefinition<C extends Record<string, unknown> = Record<string, unknown>> {
  /** The catalog entry, minus the JSON Schema, which is generated from `configuration`. */
  catalog: Omit<Service, 'configuration_schema'>;
  configuration: z.ZodType<C>;
  quote(configuration: C, rt: ProviderRuntime): QuoteTerms;
  /**
   * Creates the resource's backing state inside the creation transaction (reserve the name, create the
   * store…); throws a ProjectsError to refuse. Returns the non-secret details.
   */
  provision(resource: { id: string; accountId: string }, configuration: C, rt: ProviderRuntime): object;
  /** Issues fresh credentials (at creation and on rotation, after the old ones were revoked). */
  access(resource: ResourceRecord, rt: ProviderRuntime): Record<string, string>;
  /**
   * Names of `access` entries that are not secret (ids, URLs without credentials), answered as
   * `public_keys` so that clients may show them. Never a token, a password or a URL with userinfo.
   */
  publicAccess?: readonly string[];
  /** Applies a new configuration; returns the new details. Absent: update_service is NOT_IMPLEMENTED. */
  update?(resource: ResourceRecord, configuration: C, rt: ProviderRuntime): object;
  /** Removes the backing state (data, names, records). Credentials are revoked by the framework. */
  teardown(resource: ResourceRecord, rt: ProviderRuntime): void;
}

export interface SeedAccount {
  email: string;
  name: string;
  password: string;
}

export interface ProviderDefinition {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: services have heterogeneous configuration types
  services: readonly ServiceDefinition<any>[];
  /** Accounts that already exist at this provider: their email answers `requires_auth`. */
  seedAccounts: readonly SeedAccount[];
  /** The provider's own tables, after the framework's; `table` gives the prefixed name. */
  migrations?(table: (name: string) => string): string[];
  /** Routes authorized by resource credentials (KV API, DNS records API…), mounted under the prefix. */
  routes?(app: FastifyInstance, rt: ProviderRuntime): Promise<void>;
  /** Called once the provider is mounted, with its runtime (e.g. to serve other modules from its tables). */
  attach?(rt: ProviderRuntime): void;
}

/** The runtime as the framework's own handlers see it: with the framework's store. */
export interface FrameworkRuntime extends ProviderRuntime {
  store: FrameworkStore;
}
