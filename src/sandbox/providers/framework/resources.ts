import { canonicalHash } from '../../../core/canonical-json.js';
import { ProjectsError } from '../../../protocol/errors.js';
import {
  type Billing,
  CreateResourceRequest,
  type Quote,
  QuoteRequest,
  type Resource,
  UpdateServiceRequest,
} from '../../../protocol/provider.js';
import { parseBody } from './http.js';
import { capturePayment } from './payments.js';
import { randomId, sealer, sha256Hex } from './secrets.js';
import { type AccountRow, type FrameworkStore, type ResourceRow, toRecord } from './store.js';
import type { FrameworkRuntime, QuoteTerms, ResourceRecord, ServiceDefinition } from './types.js';

/**
 * Quotes and the resource lifecycle. Creation is exactly-once per (account, idempotency_key): the first
 * request reserves a pending row and provisions inside one transaction, captures the payment with a key
 * derived from the idempotency key, then activates; a retry — sequential or concurrent — finds the row
 * and either replays the first answer or resumes the capture with the same key, so the orchestrator
 * reports a replay instead of charging again.
 */

const QUOTE_TTL_MS = 15 * 60_000;

type AnyService = ServiceDefinition<Record<string, unknown>>;

export class ResourceService {
  readonly #rt: FrameworkRuntime;
  readonly #store: FrameworkStore;
  readonly #services: Map<string, AnyService>;
  readonly #secret: string;
  readonly #sealer: ReturnType<typeof sealer>;

  constructor(rt: FrameworkRuntime, services: readonly AnyService[], secret: string) {
    this.#rt = rt;
    this.#store = rt.store;
    this.#services = new Map(services.map((service) => [service.catalog.id, service]));
    this.#secret = secret;
    this.#sealer = sealer(secret);
  }

  quote(body: unknown): Quote {
    const input = parseBody(QuoteRequest, body);
    const service = this.#service(input.service_id);
    const configuration = parseConfiguration(service, input.configuration);
    const quote: Quote = {
      id: randomId('qt_'),
      service_id: service.catalog.id,
      configuration,
      ...service.quote(configuration, this.#rt),
      expires_at: new Date(this.#rt.now() + QUOTE_TTL_MS).toISOString(),
    };
    this.#store.insertQuote({
      id: quote.id,
      service_id: quote.service_id,
      config_hash: configHash(service, configuration),
      body: JSON.stringify(quote),
      expires_at: Date.parse(quote.expires_at),
    });
    return quote;
  }

  async create(account: AccountRow, body: unknown): Promise<Resource> {
    const input = parseBody(CreateResourceRequest, body);
    const service = this.#service(input.service_id);
    const configuration = parseConfiguration(service, input.configuration);
    const requestHash = configHash(service, configuration);
    const existing = this.#byIdempotencyKey(account.id, input.idempotency_key);
    if (existing && existing.request_hash !== requestHash) {
      throw new ProjectsError(
        'IDEMPOTENCY_CONFLICT',
        'idempotency_key was already used for a different request',
        {
          httpStatus: 409,
        },
      );
    }
    if (existing && (existing.status === 'active' || existing.status === 'removed'))
      return this.#replay(existing);
    const needsProvisioning = !existing || existing.status === 'payment_failed';
    const terms = this.#terms(service, configuration, input.quote_id, requestHash, needsProvisioning);
    const payment = input.payment_credentials;
    if (terms.price > 0 && !payment) {
      throw new ProjectsError(
        'PAYMENT_DECLINED',
        `${service.catalog.id} costs money: a payment token is required`,
        {
          httpStatus: 402,
          details: { reason: 'payment_token_required', amount: terms.price, currency: terms.currency },
        },
      );
    }
    const row = this.#reserve(
      account.id,
      service,
      configuration,
      input.idempotency_key,
      requestHash,
      existing,
    );
    let captureId: string | null = null;
    if (payment && terms.price > 0) {
      const outcome = await capturePayment(this.#rt, this.#secret, payment.capture_url, {
        token: payment.token,
        amount: terms.price,
        currency: terms.currency,
        idempotency_key: `${this.#rt.id}-${sha256Hex(`${account.id}\n${input.idempotency_key}\n${row.capture_attempt}`).slice(0, 40)}`,
        description: describePurchase(service, terms),
      });
      if (outcome.kind === 'refused') this.#failPayment(row, service);
      if (outcome.kind !== 'captured') throw outcome.error;
      captureId = outcome.capture.capture_id;
    }
    return this.#activate(row.id, service, billingFor(terms, captureId));
  }

  get(account: AccountRow, id: string): Resource {
    return toResource(this.#owned(account, id));
  }

  update(account: AccountRow, id: string, body: unknown): Resource {
    const row = this.#owned(account, id, { active: true });
    const input = parseBody(UpdateServiceRequest, body);
    const service = this.#service(row.service_id);
    if (!service.update) {
      throw new ProjectsError('NOT_IMPLEMENTED', `${row.service_id} has no settings to update`, {
        httpStatus: 501,
      });
    }
    const configuration = parseConfiguration(service, {
      ...JSON.parse(row.configuration),
      ...input.configuration,
    });
    const price = service.quote(configuration, this.#rt).price;
    if (price !== (JSON.parse(row.billing) as Billing).amount) {
      throw new ProjectsError(
        'NOT_IMPLEMENTED',
        'this change alters the price; provision a new resource with a quote and a payment token instead',
        { httpStatus: 501, details: { new_price: price } },
      );
    }
    const details = service.update(toRecord(row), configuration, this.#rt);
    this.#store.updateResourceConfiguration(
      id,
      JSON.stringify(configuration),
      JSON.stringify(details),
      this.#rt.now(),
    );
    return toResource(this.#store.resource(id)!);
  }

  rotate(account: AccountRow, id: string): Resource {
    const row = this.#owned(account, id, { active: true });
    const service = this.#service(row.service_id);
    return this.#store.transaction(() => {
      this.#rt.revokeCredentials(id);
      const access = service.access(toRecord(row), this.#rt);
      this.#store.rotateSealedAnswer(id, this.#sealer.seal(access), this.#rt.now());
      return withAccess(toResource(this.#store.resource(id)!), service, access);
    });
  }

  remove(account: AccountRow, id: string): Resource {
    this.#owned(account, id);
    this.removeById(id);
    return toResource(this.#store.resource(id)!);
  }

  /** Tears a resource down: backing state, credentials, and any recurring billing. Idempotent. */
  removeById(id: string): void {
    const row = this.#store.resource(id);
    if (!row || row.status === 'removed') return;
    const service = this.#service(row.service_id);
    const billing = JSON.parse(row.billing) as Billing;
    if (billing.status === 'active') billing.status = 'canceled';
    this.#store.transaction(() => {
      service.teardown(toRecord(row), this.#rt);
      this.#rt.revokeCredentials(id);
      this.#store.markResourceRemoved(id, JSON.stringify(billing), this.#rt.now());
    });
  }

  /** A free resource created alongside another (the DNS zone of a registered domain). */
  createCompanion(
    accountId: string,
    serviceId: string,
    configuration: Record<string, unknown>,
  ): ResourceRecord {
    const service = this.#service(serviceId);
    const parsed = parseConfiguration(service, configuration);
    const id = randomId('res_');
    const details = service.provision({ id, accountId }, parsed, this.#rt);
    this.#insert({
      id,
      accountId,
      serviceId,
      configuration: parsed,
      details,
      status: 'active',
      billing: freeBilling(),
    });
    return toRecord(this.#store.resource(id)!);
  }

  #service(id: string): AnyService {
    const service = this.#services.get(id);
    if (!service) {
      throw new ProjectsError('NOT_FOUND', `no service '${id}' at this provider`, {
        httpStatus: 404,
        details: { services: [...this.#services.keys()] },
      });
    }
    return service;
  }

  /** What this purchase costs: the quote's terms for paid services (required), the current terms for free ones. */
  #terms(
    service: AnyService,
    configuration: Record<string, unknown>,
    quoteId: string | undefined,
    requestHash: string,
    fresh: boolean,
  ): QuoteTerms {
    if (!quoteId) {
      const terms = service.quote(configuration, this.#rt);
      if (terms.price > 0) {
        throw new ProjectsError(
          'INVALID_ARGUMENT',
          `${service.catalog.id} is paid: quote it first and pass quote_id`,
          {
            httpStatus: 400,
            details: { reason: 'quote_required' },
          },
        );
      }
      return terms;
    }
    const row = this.#store.quote(quoteId);
    if (!row || row.service_id !== service.catalog.id || row.config_hash !== requestHash) {
      throw new ProjectsError(
        'INVALID_ARGUMENT',
        'quote_id does not belong to this service and configuration',
        {
          httpStatus: 400,
        },
      );
    }
    const quote = JSON.parse(row.body) as Quote;
    // A retry of a purchase already under way keeps its quote: the money may already be captured.
    if (fresh && row.expires_at <= this.#rt.now()) {
      throw new ProjectsError('QUOTE_EXPIRED', 'the quote expired; ask for a new one', { httpStatus: 409 });
    }
    if (fresh && quote.availability !== 'available') {
      throw new ProjectsError(
        'DOMAIN_UNAVAILABLE',
        `${quote.name_offered ?? service.catalog.id} is not available`,
        {
          httpStatus: 409,
          details: { reason: quote.unavailable_reason },
        },
      );
    }
    const { id: _id, service_id: _s, configuration: _c, expires_at: _e, ...terms } = quote;
    return terms;
  }

  /** Inserts the pending row and provisions (or re-provisions after a refused payment), atomically. */
  #reserve(
    accountId: string,
    service: AnyService,
    configuration: Record<string, unknown>,
    idempotencyKey: string,
    requestHash: string,
    existing: ResourceRow | undefined,
  ): ResourceRow {
    return this.#store.transaction(() => {
      const current = this.#byIdempotencyKey(accountId, idempotencyKey) ?? existing;
      if (current && current.status !== 'payment_failed') return current;
      const id = current?.id ?? randomId('res_');
      const details = service.provision({ id, accountId }, configuration, this.#rt);
      if (current) {
        this.#store.reprovisionResource(id, JSON.stringify(details), this.#rt.now());
      } else {
        this.#insert({
          id,
          accountId,
          serviceId: service.catalog.id,
          configuration,
          details,
          status: 'pending',
          billing: freeBilling(),
          idempotencyKey,
          requestHash,
        });
      }
      return this.#store.resource(id)!;
    });
  }

  /** A definitive refusal: release what was reserved and move to the next capture attempt's key. */
  #failPayment(row: ResourceRow, service: AnyService): void {
    this.#store.transaction(() => {
      if (this.#store.failResourcePayment(row.id, row.capture_attempt, this.#rt.now())) {
        service.teardown(toRecord(row), this.#rt);
      }
    });
  }

  #activate(id: string, service: AnyService, billing: Billing): Resource {
    return this.#store.transaction(() => {
      const changed = this.#store.activateResource(id, JSON.stringify(billing), this.#rt.now());
      const row = this.#store.resource(id)!;
      // A concurrent retry activated it first: answer what it answered.
      if (!changed) return this.#replay(row);
      const access = service.access(toRecord(row), this.#rt);
      this.#store.setSealedAnswer(id, this.#sealer.seal(access));
      return withAccess(toResource(row), service, access);
    });
  }

  #replay(row: ResourceRow): Resource {
    if (row.status !== 'active' || !row.sealed_answer) return toResource(row);
    const access = this.#sealer.open(row.sealed_answer) as Record<string, string>;
    return withAccess(toResource(row), this.#service(row.service_id), access);
  }

  #owned(account: AccountRow, id: string, options: { active?: boolean } = {}): ResourceRow {
    const row = this.#store.resource(id);
    if (
      !row ||
      row.account_id !== account.id ||
      row.status === 'pending' ||
      row.status === 'payment_failed'
    ) {
      throw new ProjectsError('NOT_FOUND', `no resource ${id} in this account`, { httpStatus: 404 });
    }
    if (options.active && row.status !== 'active') {
      throw new ProjectsError('INVALID_ARGUMENT', `resource ${id} was removed`, {
        httpStatus: 409,
        details: { status: row.status },
      });
    }
    return row;
  }

  #byIdempotencyKey(accountId: string, key: string): ResourceRow | undefined {
    return this.#store.resourceByIdempotencyKey(accountId, key);
  }

  #insert(row: {
    id: string;
    accountId: string;
    serviceId: string;
    configuration: Record<string, unknown>;
    details: object;
    status: ResourceRow['status'];
    billing: Billing;
    idempotencyKey?: string;
    requestHash?: string;
  }): void {
    const now = this.#rt.now();
    this.#store.insertResource({
      id: row.id,
      account_id: row.accountId,
      service_id: row.serviceId,
      status: row.status,
      configuration: JSON.stringify(row.configuration),
      details: JSON.stringify(row.details),
      billing: JSON.stringify(row.billing),
      idempotency_key: row.idempotencyKey ?? null,
      request_hash: row.requestHash ?? null,
      created_at: now,
      updated_at: now,
    });
  }
}

/**
 * A resource answer with its credentials and the names of those that are not secret, as the service
 * declares them (a wrong name shows in the conformance suite rather than being dropped here).
 */
function withAccess(resource: Resource, service: AnyService, access: Record<string, string>): Resource {
  const publicKeys = service.publicAccess ?? [];
  return {
    ...resource,
    access_configuration: access,
    ...(publicKeys.length ? { public_keys: [...publicKeys] } : {}),
  };
}

function parseConfiguration(service: AnyService, configuration: unknown): Record<string, unknown> {
  const parsed = service.configuration.safeParse(configuration);
  if (parsed.success) return parsed.data;
  throw new ProjectsError('INVALID_ARGUMENT', `invalid configuration for ${service.catalog.id}`, {
    httpStatus: 400,
    details: {
      issues: parsed.error.issues
        .slice(0, 10)
        .map((issue) => `${issue.path.join('.') || '(configuration)'}: ${issue.message}`),
    },
  });
}

function configHash(service: AnyService, configuration: Record<string, unknown>): string {
  return canonicalHash({ service_id: service.catalog.id, configuration });
}

function describePurchase(service: AnyService, terms: QuoteTerms): string {
  const what = terms.name_offered ? `${service.catalog.name} ${terms.name_offered}` : service.catalog.name;
  return terms.billing === 'recurring' ? `${what} (first ${terms.interval ?? 'period'})` : what;
}

function freeBilling(): Billing {
  return {
    status: 'none',
    amount: 0,
    currency: 'usd',
    billing: 'free',
    interval: null,
    refundable: true,
    capture_id: null,
  };
}

function billingFor(terms: QuoteTerms, captureId: string | null): Billing {
  if (terms.price === 0) return freeBilling();
  return {
    status: terms.billing === 'recurring' ? 'active' : 'paid',
    amount: terms.price,
    currency: terms.currency,
    billing: terms.billing,
    interval: terms.interval,
    refundable: terms.refundable,
    capture_id: captureId,
  };
}

function toResource(row: ResourceRow): Resource {
  return {
    id: row.id,
    service_id: row.service_id,
    status: row.status === 'removed' ? 'removed' : row.status === 'active' ? 'active' : 'pending',
    configuration: JSON.parse(row.configuration) as Record<string, unknown>,
    details: JSON.parse(row.details) as Record<string, unknown>,
    billing: JSON.parse(row.billing) as Billing,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
