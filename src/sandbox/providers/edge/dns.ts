import type dnsPacket from 'dns-packet';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ProjectsError } from '../../../protocol/errors.js';
import { NAMESERVER, soa } from '../../dns/server.js';
import {
  freeTerms,
  type ProviderRuntime,
  type ResourceRecord,
  type ServiceDefinition,
} from '../framework/index.js';
import type { DnsRecord, DnsRecordType, DnsZone } from './deploy/hosting.js';
import { type EdgeStore, edgeStore, type StoredDnsRecord } from './store.js';

/**
 * `dns:zone`: the authoritative zone of a domain registered here (created with the domain, free), and its
 * records API — `GET|POST <base>dns/zones/<domain>/records`, `DELETE …/records/<id>`, `GET …/export` (a
 * zone file) — authorized by the zone's `EDGE_DNS_API_TOKEN`. The serving side (DNS server, domain
 * attachment) reads and writes the same records through the edge store (store.ts).
 */

export const ZONE_SERVICE_ID = 'dns:zone';
const NAMESERVERS = [NAMESERVER];
const DEFAULT_TTL = 300;

const RecordInput = z
  .object({
    type: z.enum(['A', 'AAAA', 'CNAME', 'TXT']),
    name: z
      .string()
      .min(1)
      .max(253)
      .describe("'@' for the apex, a label relative to the zone, or a full name"),
    value: z.string().min(1).max(1024),
    ttl: z.number().int().min(60).max(86_400).default(DEFAULT_TTL),
  })
  .superRefine((record, ctx) => {
    if (!validValue(record.type, record.value)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `not a valid ${record.type} value` });
    }
  });

const ZoneConfiguration = z.strictObject({
  domain: z.string().min(3).max(253).describe('A domain registered at this provider in the same account'),
});
type ZoneConfiguration = z.infer<typeof ZoneConfiguration>;

function validValue(type: DnsRecordType, value: string): boolean {
  if (type === 'A') return /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(value);
  if (type === 'AAAA') return /^[0-9a-f:]+$/i.test(value) && value.includes(':');
  if (type === 'CNAME') return /^([a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63}\.?$/i.test(value);
  return value.length <= 255;
}

/** Adds a record from the records API, its name qualified relative to the zone. */
function addRecord(store: EdgeStore, zone: DnsZone, input: unknown): StoredDnsRecord {
  const parsed = RecordInput.safeParse(input ?? {});
  if (!parsed.success) {
    throw new ProjectsError('INVALID_ARGUMENT', 'invalid DNS record', {
      httpStatus: 400,
      details: { issues: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) },
    });
  }
  const record: DnsRecord = { ...parsed.data, name: qualify(zone.name, parsed.data.name) };
  return { id: store.insertRecord(zone.id, record), ...record };
}

/** The zone covering `hostname` (its apex or any name below it), the most specific first. */
export function zoneFor(store: EdgeStore, hostname: string): DnsZone | undefined {
  return store.zoneCovering(hostname.toLowerCase().replace(/\.$/, ''));
}

/** '@' is the apex; a name ending in the zone is already qualified; anything else is relative to it. */
function qualify(zone: string, name: string): string {
  const lower = name.toLowerCase().replace(/\.$/, '');
  if (lower === '@' || lower === zone) return zone;
  if (lower.endsWith(`.${zone}`)) return lower;
  if (!/^(\*\.)?([a-z0-9_-]{1,63}\.)*[a-z0-9_-]{1,63}$/.test(lower)) {
    throw new ProjectsError('INVALID_ARGUMENT', 'invalid record name', { httpStatus: 400 });
  }
  return `${lower}.${zone}`;
}

export const zoneService: ServiceDefinition<ZoneConfiguration> = {
  catalog: {
    id: ZONE_SERVICE_ID,
    name: 'DNS zone',
    description: 'Authoritative DNS for a domain registered here; created with each domain. Records via API.',
    categories: ['dns'],
    kind: 'dns_zone',
    pricing: { type: 'free' },
    requires: ['registrar:domain'],
  },
  configuration: ZoneConfiguration,
  quote: (configuration) =>
    freeTerms({ requested: configuration.domain, offered: configuration.domain.toLowerCase() }),
  provision(resource, configuration, rt) {
    const domain = configuration.domain.toLowerCase();
    const store = edgeStore(rt);
    if (!store.domainOwnedBy(domain, resource.accountId)) {
      throw new ProjectsError('INVALID_ARGUMENT', `${domain} is not registered in this account`, {
        httpStatus: 409,
      });
    }
    if (store.zoneExists(domain))
      throw new ProjectsError('INVALID_ARGUMENT', `${domain} already has a zone`, { httpStatus: 409 });
    store.insertZone({ id: resource.id, name: domain, accountId: resource.accountId });
    return { domain, nameservers: NAMESERVERS };
  },
  access: (resource, rt) => ({
    EDGE_DNS_ZONE_ID: resource.id,
    EDGE_DNS_API_URL: `${rt.baseUrl()}dns/zones/${String(resource.details.domain)}`,
    EDGE_DNS_API_TOKEN: rt.issueCredential(resource.id, 'dns', 'dns_'),
  }),
  publicAccess: ['EDGE_DNS_ZONE_ID', 'EDGE_DNS_API_URL'],
  teardown(resource, rt) {
    edgeStore(rt).deleteZone(resource.id);
  },
};

type ZoneRequest = FastifyRequest<{ Params: { zone: string; id?: string } }>;

export async function registerDnsApi(
  app: FastifyInstance,
  rt: ProviderRuntime,
  store: EdgeStore,
): Promise<void> {
  const authorize = (request: ZoneRequest): DnsZone => {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const resource: ResourceRecord | undefined = token ? rt.verifyCredential(token, 'dns') : undefined;
    const zone = resource ? zoneFor(store, String(resource.details.domain)) : undefined;
    const asked = request.params.zone.toLowerCase();
    if (!zone || (asked !== zone.name && asked !== zone.id)) {
      throw new ProjectsError('AUTH_REQUIRED', 'a valid EDGE_DNS_API_TOKEN for this zone is required', {
        httpStatus: 401,
      });
    }
    return zone;
  };
  app.get('/dns/zones/:zone/records', async (request: ZoneRequest) => ({
    records: store.records(authorize(request).id),
  }));
  // No lock-in: the zone as a standard (RFC 1035) zone file that any DNS host imports.
  app.get('/dns/zones/:zone/export', async (request: ZoneRequest, reply) => {
    const zone = authorize(request);
    return reply.type('text/dns; charset=utf-8').send(zoneFile(zone, store.records(zone.id)));
  });
  app.post('/dns/zones/:zone/records', async (request: ZoneRequest, reply) =>
    reply.status(201).send(addRecord(store, authorize(request), request.body)),
  );
  app.delete('/dns/zones/:zone/records/:id', async (request: ZoneRequest) => {
    const zone = authorize(request);
    if (!store.deleteRecord(zone.id, Number(request.params.id))) {
      throw new ProjectsError('NOT_FOUND', 'no such record', { httpStatus: 404 });
    }
    return { deleted: true };
  });
}

/** The SOA line of a zone file: the very record the sandbox's DNS server answers for the zone. */
function soaLine(zoneName: string): string {
  const { ttl, data } = soa(zoneName) as { ttl: number; data: dnsPacket.SoaData };
  const { mname, rname, serial, refresh, retry, expire, minimum } = data;
  return `@ ${ttl} IN SOA ${mname}. ${rname}. ${serial} ${refresh} ${retry} ${expire} ${minimum}`;
}

function zoneFile(zone: DnsZone, records: readonly DnsRecord[]): string {
  const lines = [
    `$ORIGIN ${zone.name}.`,
    `$TTL ${DEFAULT_TTL}`,
    soaLine(zone.name),
    ...NAMESERVERS.map((ns) => `@ ${DEFAULT_TTL} IN NS ${ns}.`),
    ...records.map((record) => {
      const value =
        record.type === 'TXT'
          ? JSON.stringify(record.value)
          : record.type === 'CNAME'
            ? `${record.value.replace(/\.$/, '')}.`
            : record.value;
      return `${record.name}. ${record.ttl} IN ${record.type} ${value}`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}
