import { z } from 'zod';
import { ProjectsError } from '../../../protocol/errors.js';
import type { ProviderRuntime, QuoteTerms, ServiceDefinition } from '../framework/index.js';
import type { DnsRecord, DnsRecordType, DnsZone, EdgeHosting, HostedSite } from './deploy/hosting.js';
import { zoneFor } from './dns.js';
import { type EdgeStore, edgeStore } from './store.js';

/**
 * `hosting:site`: a site served by the edge, free or Pro (monthly). Its access configuration is a deploy
 * token for the deploy API (`<base>deploy/`, built by the deploy module), which reads sites, tokens and
 * zones through `EdgeSites` — the provisioning side's implementation of the deploy module's `EdgeHosting`.
 */

const SITE_PLANS = {
  free: { price: 0, description: 'Free: previews and production on <name>.localhost' },
  pro: { price: 2000, description: 'Pro: custom domains with certificates, $20 per month' },
} as const;

const SITE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

const SiteConfiguration = z.strictObject({
  name: z
    .string()
    .regex(SITE_NAME)
    .optional()
    .describe('DNS label the site is served under (<name>.localhost); generated when absent'),
  plan: z.enum(['free', 'pro']).default('free'),
});
type SiteConfiguration = z.infer<typeof SiteConfiguration>;

function siteTerms(configuration: SiteConfiguration, taken: boolean): QuoteTerms {
  const price = SITE_PLANS[configuration.plan].price;
  return {
    availability: taken ? 'unavailable' : 'available',
    unavailable_reason: taken ? 'taken' : null,
    price,
    currency: 'usd',
    billing: price ? 'recurring' : 'free',
    interval: price ? 'month' : null,
    refundable: !price,
    premium: false,
    renewal_price: price || null,
    name_requested: configuration.name ?? null,
    name_offered: configuration.name ?? null,
  };
}

function nameTaken(rt: ProviderRuntime, name: string | undefined): boolean {
  return name !== undefined && edgeStore(rt).siteNameTaken(name);
}

const siteService: ServiceDefinition<SiteConfiguration> = {
  catalog: {
    id: 'hosting:site',
    name: 'Site hosting',
    description:
      'Static sites and workers served at the edge, with preview deployments, promote and rollback.',
    categories: ['hosting'],
    kind: 'site',
    pricing: { type: 'free' },
    plans: Object.entries(SITE_PLANS).map(([id, plan]) => ({
      id,
      description: plan.description,
      pricing: plan.price
        ? {
            type: 'paid' as const,
            billing: 'recurring' as const,
            interval: 'month' as const,
            currency: 'usd',
            amount: plan.price,
            refundable: false,
          }
        : { type: 'free' as const },
    })),
    example_configuration: { plan: 'free' },
  },
  configuration: SiteConfiguration,
  quote: (configuration, rt) => siteTerms(configuration, nameTaken(rt, configuration.name)),
  provision(resource, configuration, rt) {
    const name = configuration.name ?? `site-${resource.id.slice(-10)}`;
    if (nameTaken(rt, name)) {
      throw new ProjectsError('INVALID_ARGUMENT', `the site name ${name} is taken`, {
        httpStatus: 409,
        details: { reason: 'taken' },
      });
    }
    edgeStore(rt).insertSite({
      resource_id: resource.id,
      name,
      account_id: resource.accountId,
      plan: configuration.plan,
    });
    return { name, plan: configuration.plan, hostname: `${name}.localhost` };
  },
  access: (resource, rt) => ({
    EDGE_SITE_ID: resource.id,
    EDGE_DEPLOY_API_URL: `${rt.baseUrl()}deploy`,
    EDGE_DEPLOY_TOKEN: rt.issueCredential(resource.id, 'deploy', 'edt_'),
  }),
  publicAccess: ['EDGE_SITE_ID', 'EDGE_DEPLOY_API_URL'],
  teardown(resource, rt) {
    edgeStore(rt).deleteSite(resource.id);
  },
};

/** Sites, deploy tokens and zones as the serving side (deploy module) sees them. */
export class EdgeSites implements EdgeHosting {
  #rt: ProviderRuntime | undefined;
  #store: EdgeStore | undefined;
  readonly #removalListeners: ((siteId: string) => void)[] = [];

  /** `siteService` for this provider instance: tearing a site down also tells the serving side. */
  readonly service: ServiceDefinition<SiteConfiguration> = {
    ...siteService,
    teardown: (resource, rt) => {
      siteService.teardown(resource, rt);
      for (const listener of this.#removalListeners) listener(resource.id);
    },
  };

  attach(rt: ProviderRuntime, store: EdgeStore): void {
    this.#rt = rt;
    this.#store = store;
  }

  siteForDeployToken(token: string): HostedSite | undefined {
    const resource = this.#runtime().verifyCredential(token, 'deploy');
    return resource ? this.siteById(resource.id) : undefined;
  }

  siteById(id: string): HostedSite | undefined {
    if (this.#runtime().resource(id)?.status !== 'active') return undefined;
    const row = this.#edgeStore().site(id);
    return row ? { id, name: row.name, accountId: row.account_id } : undefined;
  }

  onSiteRemoved(listener: (siteId: string) => void): void {
    this.#removalListeners.push(listener);
  }

  zoneFor(hostname: string): DnsZone | undefined {
    return zoneFor(this.#edgeStore(), hostname);
  }

  replaceRecords(zoneId: string, name: string, type: DnsRecordType, records: readonly DnsRecord[]): void {
    this.#edgeStore().replaceRecords(zoneId, name, type, records);
  }

  records(zoneId: string): readonly DnsRecord[] {
    return this.#edgeStore()
      .records(zoneId)
      .map(({ id: _id, ...record }) => record);
  }

  #runtime(): ProviderRuntime {
    if (!this.#rt) throw new Error('the edge provider is not mounted yet');
    return this.#rt;
  }

  #edgeStore(): EdgeStore {
    this.#runtime();
    return this.#store!;
  }
}
