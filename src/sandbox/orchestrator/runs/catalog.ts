import { ProjectsError } from '../../../protocol/errors.js';
import type { CatalogResponse, CatalogService } from '../../../protocol/orchestrator.js';
import type { ProviderCalls } from './provider-calls.js';
import type { ProviderRegistry, RegisteredProvider } from './registry.js';

/** How long the aggregated catalog is served from memory before providers are asked again. */
export const CATALOG_TTL_MS = 60_000;

export interface CatalogFilter {
  q?: string | undefined;
  provider?: string | undefined;
  category?: string | undefined;
}

type ProviderListing =
  | { provider: RegisteredProvider; ok: true; services: CatalogService[] }
  | { provider: RegisteredProvider; ok: false; error: { code: string; message: string } };

interface Snapshot {
  listings: ProviderListing[];
  at: number;
}

/**
 * The aggregated catalog: every registered provider's `GET provisioning/services`, fetched in parallel,
 * validated, cached for CATALOG_TTL_MS. A provider that is down or answers garbage is listed as
 * unavailable with the reason; the others' services are still served.
 */
export class Catalog {
  private snapshot: Snapshot | undefined;
  private inflight: Promise<Snapshot> | undefined;

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly calls: ProviderCalls,
    private readonly now: () => number,
  ) {}

  async search(filter: CatalogFilter, refresh = false): Promise<CatalogResponse> {
    const snapshot = await this.load(refresh);
    const listings = snapshot.listings.filter((l) => !filter.provider || l.provider.id === filter.provider);
    const services = listings
      .flatMap((listing) => (listing.ok ? listing.services : []))
      .filter((service) => matches(service, filter));
    return {
      services,
      providers: listings.map((listing) => ({
        id: listing.provider.id,
        name: listing.provider.name,
        status: listing.ok ? 'ok' : 'unavailable',
        ...(listing.ok ? {} : { error: listing.error }),
        terms_url: listing.provider.termsUrl,
      })),
      refreshed_at: new Date(snapshot.at).toISOString(),
    };
  }

  /** One service by provider and id; its provider being unavailable is an error here, not a gap. */
  async service(providerId: string, serviceId: string, refresh = false): Promise<CatalogService> {
    return this.serviceOf(await this.registry.get(providerId), serviceId, refresh);
  }

  /** One service of a provider the caller already looked up in the registry. */
  async serviceOf(provider: RegisteredProvider, serviceId: string, refresh = false): Promise<CatalogService> {
    const providerId = provider.id;
    let listing = (await this.load(refresh)).listings.find((l) => l.provider.id === providerId);
    // A provider that was down at the last fetch is asked again rather than served stale.
    if (listing && !listing.ok && !refresh) {
      listing = (await this.load(true)).listings.find((l) => l.provider.id === providerId);
    }
    if (!listing) throw new ProjectsError('NOT_FOUND', `no provider '${providerId}'`, { httpStatus: 404 });
    if (!listing.ok) {
      throw new ProjectsError('PROVIDER_UNAVAILABLE', `provider '${providerId}': ${listing.error.message}`, {
        httpStatus: 503,
        details: { provider: providerId, cause: listing.error.code },
      });
    }
    const service = listing.services.find((s) => s.id === serviceId);
    if (!service) {
      throw new ProjectsError('NOT_FOUND', `provider '${providerId}' has no service '${serviceId}'`, {
        httpStatus: 404,
        details: { available: listing.services.map((s) => s.ref) },
        next: [{ command: `projects catalog --provider ${providerId}`, why: 'list its services' }],
      });
    }
    return service;
  }

  private async load(refresh: boolean): Promise<Snapshot> {
    const fresh = this.snapshot && this.now() - this.snapshot.at < CATALOG_TTL_MS;
    if (this.snapshot && fresh && !refresh) return this.snapshot;
    // Concurrent requests share one round of provider calls.
    this.inflight ??= this.fetchAll().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchAll(): Promise<Snapshot> {
    const providers = await this.registry.list();
    const listings = await Promise.all(providers.map((provider) => this.fetchOne(provider)));
    this.snapshot = { listings, at: this.now() };
    return this.snapshot;
  }

  private async fetchOne(provider: RegisteredProvider): Promise<ProviderListing> {
    try {
      const services = await this.calls.services(provider);
      return {
        provider,
        ok: true,
        services: services.map((service) => ({
          ...service,
          provider: provider.id,
          ref: `${provider.id}/${service.id}`,
        })),
      };
    } catch (error) {
      const failure = error instanceof ProjectsError ? error : undefined;
      return {
        provider,
        ok: false,
        error: {
          code: failure?.code ?? 'PROVIDER_UNAVAILABLE',
          message: failure?.message ?? 'provider failed',
        },
      };
    }
  }
}

function matches(service: CatalogService, filter: CatalogFilter): boolean {
  if (
    filter.category &&
    !service.categories.some((c) => c.toLowerCase() === filter.category?.toLowerCase())
  ) {
    return false;
  }
  if (!filter.q) return true;
  const needle = filter.q.toLowerCase();
  const haystack = [service.ref, service.name, service.description, service.kind, ...service.categories];
  return haystack.some((text) => text.toLowerCase().includes(needle));
}
