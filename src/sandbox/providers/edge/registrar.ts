import { z } from 'zod';
import { ProjectsError } from '../../../protocol/errors.js';
import type { ProviderRuntime, QuoteTerms, ServiceDefinition } from '../framework/index.js';
import { ZONE_SERVICE_ID } from './dns.js';
import { edgeStore } from './store.js';

/**
 * `registrar:domain`: one-year registrations, paid once, never refunded. Availability is deterministic —
 * a fixed list of names that are taken elsewhere, reserved labels, premium names — plus whatever this
 * sandbox has registered. Prices per TLD resemble real registry prices (USD cents, first year / renewal).
 */

const TLD_PRICES: Readonly<Record<string, { registration: number; renewal: number }>> = {
  com: { registration: 1046, renewal: 1046 },
  net: { registration: 1214, renewal: 1214 },
  org: { registration: 1088, renewal: 1088 },
  dev: { registration: 1200, renewal: 1200 },
  app: { registration: 1400, renewal: 1400 },
  io: { registration: 4400, renewal: 4400 },
  club: { registration: 1299, renewal: 1599 },
  cc: { registration: 1150, renewal: 1150 },
  xyz: { registration: 1099, renewal: 1299 },
  ai: { registration: 8000, renewal: 8000 },
  co: { registration: 2599, renewal: 2599 },
  me: { registration: 1699, renewal: 1899 },
};

/** Registered by someone else, at some other registrar. */
const TAKEN_DOMAINS: ReadonlySet<string> = new Set([
  'google.com',
  'stripe.com',
  'cloudflare.com',
  'github.com',
  'vercel.app',
  'openai.com',
  'superseal.com',
  'superseal.io',
  'superseal.cc',
  'acme.com',
  'acme.dev',
  'acme.io',
  'taken.dev',
  'taken.club',
  'shop.xyz',
]);

/** Labels the registries keep for themselves, on every TLD. */
const RESERVED_LABELS: ReadonlySet<string> = new Set([
  'example',
  'test',
  'invalid',
  'localhost',
  'nic',
  'whois',
  'www',
]);

/** Premium dictionary words, at a fixed first-year price (renewal at the standard rate). */
const PREMIUM_WORDS: Readonly<Record<string, number>> = {
  cloud: 299_900,
  shop: 249_900,
  pay: 499_900,
  crypto: 399_900,
  games: 149_900,
  music: 149_900,
  hotel: 199_900,
  data: 179_900,
};

/** Short labels (four characters or fewer) are premium at this multiple of the standard price. */
const SHORT_LABEL_MULTIPLIER = 25;
const SHORT_LABEL_MAX = 4;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const REGISTRATION_YEARS = 1;

const DomainConfiguration = z.strictObject({
  name: z.string().min(3).max(253).describe('The exact domain to register, e.g. superseal.club'),
});
type DomainConfiguration = z.infer<typeof DomainConfiguration>;

type Availability = Pick<
  QuoteTerms,
  'availability' | 'unavailable_reason' | 'premium' | 'price' | 'renewal_price'
>;

/** Domain names are case-insensitive; anything else about the name is kept exactly as asked. */
function parseName(raw: string): { label: string; tld: string } | undefined {
  const name = raw.toLowerCase();
  const parts = name.split('.');
  if (parts.length !== 2) return undefined;
  const [label, tld] = parts as [string, string];
  if (!LABEL.test(label) || !(tld in TLD_PRICES)) return undefined;
  // Hyphens in positions 3-4 are reserved for IDN (xn--) labels, which must then be valid punycode.
  if (label.slice(2, 4) === '--' && !label.startsWith('xn--')) return undefined;
  return { label, tld };
}

function domainAvailability(rt: ProviderRuntime, raw: string): Availability {
  const parsed = parseName(raw);
  if (!parsed) {
    return {
      availability: 'unavailable',
      unavailable_reason: 'invalid',
      premium: false,
      price: 0,
      renewal_price: null,
    };
  }
  const name = `${parsed.label}.${parsed.tld}`;
  const prices = TLD_PRICES[parsed.tld]!;
  const premiumPrice =
    PREMIUM_WORDS[parsed.label] ??
    (parsed.label.length <= SHORT_LABEL_MAX ? prices.registration * SHORT_LABEL_MULTIPLIER : undefined);
  const base = {
    premium: premiumPrice !== undefined,
    price: premiumPrice ?? prices.registration,
    renewal_price: prices.renewal,
  };
  if (RESERVED_LABELS.has(parsed.label))
    return { ...base, availability: 'unavailable', unavailable_reason: 'reserved' };
  if (TAKEN_DOMAINS.has(name) || edgeStore(rt).domainRegistered(name)) {
    return { ...base, availability: 'unavailable', unavailable_reason: 'taken' };
  }
  return { ...base, availability: 'available', unavailable_reason: null };
}

export const domainService: ServiceDefinition<DomainConfiguration> = {
  catalog: {
    id: 'registrar:domain',
    name: 'Domain registration',
    description:
      'Registers a domain for one year, with a DNS zone. One-time payment, not refundable. Returns a transfer ' +
      'auth code so the domain can move to another registrar.',
    categories: ['domains'],
    kind: 'domain',
    pricing: {
      type: 'paid',
      billing: 'one_time',
      interval: null,
      currency: 'usd',
      amount: null,
      refundable: false,
    },
    requires: [],
  },
  configuration: DomainConfiguration,
  quote(configuration, rt) {
    return {
      ...domainAvailability(rt, configuration.name),
      currency: 'usd',
      billing: 'one_time',
      interval: null,
      refundable: false,
      name_requested: configuration.name,
      name_offered: configuration.name.toLowerCase(),
    };
  },
  provision(resource, configuration, rt) {
    const name = configuration.name.toLowerCase();
    const availability = domainAvailability(rt, name);
    if (availability.availability !== 'available') {
      throw new ProjectsError('DOMAIN_UNAVAILABLE', `${name} is not available`, {
        httpStatus: 409,
        details: { reason: availability.unavailable_reason },
      });
    }
    const registeredAt = rt.now();
    const expiresAt = new Date(registeredAt);
    expiresAt.setUTCFullYear(expiresAt.getUTCFullYear() + REGISTRATION_YEARS);
    edgeStore(rt).insertDomain({
      name,
      resource_id: resource.id,
      account_id: resource.accountId,
      registered_at: registeredAt,
      expires_at: expiresAt.getTime(),
    });
    const zone = rt.createCompanion(resource.accountId, ZONE_SERVICE_ID, { domain: name });
    return {
      domain: name,
      registered_at: new Date(registeredAt).toISOString(),
      expires_at: expiresAt.toISOString(),
      renewal_price: availability.renewal_price,
      currency: 'usd',
      auto_renew: false,
      transfer_lock: false,
      zone_resource_id: zone.id,
      nameservers: zone.details.nameservers,
    };
  },
  access(resource, rt) {
    const zoneId = String(resource.details.zone_resource_id);
    // The zone's records token travels with the domain; rotating the domain rotates it too.
    rt.revokeCredentials(zoneId);
    const zone = rt.resource(zoneId);
    return {
      EDGE_DOMAIN_TRANSFER_AUTH_CODE: rt.issueCredential(resource.id, 'transfer', 'auth_'),
      EDGE_DNS_ZONE_ID: zoneId,
      EDGE_DNS_API_URL: `${rt.baseUrl()}dns/zones/${String(zone?.details.domain ?? resource.details.domain)}`,
      EDGE_DNS_API_TOKEN: rt.issueCredential(zoneId, 'dns', 'dns_'),
    };
  },
  // The transfer auth code moves the domain to whoever holds it: a secret like the token.
  publicAccess: ['EDGE_DNS_ZONE_ID', 'EDGE_DNS_API_URL'],
  teardown(resource, rt) {
    edgeStore(rt).deleteDomainOf(resource.id);
    const zoneId = resource.details.zone_resource_id;
    if (typeof zoneId === 'string') rt.removeResource(zoneId);
  },
};
