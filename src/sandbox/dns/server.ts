import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';

/**
 * An authoritative DNS server over UDP on a loopback port, answering A/AAAA/CNAME/TXT (plus the synthesized
 * SOA and NS of each apex) for the zones a `ZoneSource` holds, NXDOMAIN with the SOA for unknown names in
 * those zones, and REFUSED for everything else — it never recurses.
 */

export interface ZoneRecord {
  name: string;
  type: 'A' | 'AAAA' | 'CNAME' | 'TXT';
  value: string;
  ttl: number;
}

export interface ZoneSource {
  zoneFor(hostname: string): { id: string; name: string } | undefined;
  records(zoneId: string): readonly ZoneRecord[];
}

const RCODE = { noError: 0, formErr: 1, nxDomain: 3, refused: 5 } as const;
/** The one nameserver of the zones it serves, as zone files and NS answers name it. */
export const NAMESERVER = 'ns1.edge.localhost';
const SOA_TTL = 300;
/** Bounds CNAME chasing inside one zone so a record loop cannot spin. */
const MAX_CHAIN = 8;

type Answer = dnsPacket.Answer;

/** The SOA of a zone it serves; zone files render the same record (src/sandbox/providers/edge/dns.ts). */
export function soa(zone: string): Answer {
  return {
    name: zone,
    type: 'SOA',
    ttl: SOA_TTL,
    data: {
      mname: NAMESERVER,
      rname: `hostmaster.${zone}`,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: SOA_TTL,
    },
  };
}

function toAnswer(record: ZoneRecord): Answer {
  if (record.type === 'TXT') return { name: record.name, type: 'TXT', ttl: record.ttl, data: record.value };
  return { name: record.name, type: record.type, ttl: record.ttl, data: record.value };
}

export interface Resolution {
  rcode: number;
  answers: Answer[];
  authorities: Answer[];
}

function nameExists(zone: string, records: readonly ZoneRecord[], name: string): boolean {
  return name === zone || records.some((record) => record.name === name || record.name.endsWith(`.${name}`));
}

/** Answers one question from the zone data; pure apart from reading the source. */
export function resolveQuestion(source: ZoneSource, question: dnsPacket.Question): Resolution {
  const name = question.name.toLowerCase().replace(/\.$/, '');
  // dns-packet decodes type 255 as 'ANY', which its typings omit.
  const type = question.type as string;
  const zone = source.zoneFor(name);
  if (!zone) return { rcode: RCODE.refused, answers: [], authorities: [] };
  const records = source.records(zone.id);
  const answers: Answer[] = [];
  let current = name;
  for (let hop = 0; hop < MAX_CHAIN; hop++) {
    const atName = records.filter((record) => record.name === current);
    if (current === zone.name && (type === 'SOA' || type === 'ANY')) answers.push(soa(zone.name));
    if (current === zone.name && (type === 'NS' || type === 'ANY')) {
      answers.push({ name: zone.name, type: 'NS', ttl: SOA_TTL, data: NAMESERVER });
    }
    const matching = atName.filter((record) => type === 'ANY' || record.type === type);
    answers.push(...matching.map(toAnswer));
    const cname = atName.find((record) => record.type === 'CNAME');
    if (!cname || matching.length > 0) break;
    answers.push(toAnswer(cname));
    const target = cname.value.toLowerCase();
    // Follow the alias only while it stays inside this zone; otherwise the client's resolver chases it.
    if (target !== zone.name && !target.endsWith(`.${zone.name}`)) break;
    current = target;
  }
  if (answers.length > 0) return { rcode: RCODE.noError, answers, authorities: [] };
  const rcode = nameExists(zone.name, records, current) ? RCODE.noError : RCODE.nxDomain;
  return { rcode, answers, authorities: [soa(zone.name)] };
}

function respond(source: ZoneSource, message: Buffer): Buffer {
  let query: dnsPacket.DecodedPacket;
  try {
    query = dnsPacket.decode(message);
  } catch {
    return dnsPacket.encode({ type: 'response', id: message.readUInt16BE(0), flags: RCODE.formErr });
  }
  const question = query.questions?.[0];
  const recursionDesired = (query.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
  if (!question || query.questions!.length !== 1) {
    return dnsPacket.encode({ type: 'response', id: query.id, flags: recursionDesired | RCODE.formErr });
  }
  const { rcode, answers, authorities } = resolveQuestion(source, question);
  const authoritative = rcode === RCODE.refused ? 0 : dnsPacket.AUTHORITATIVE_ANSWER;
  return dnsPacket.encode({
    type: 'response',
    id: query.id,
    flags: authoritative | recursionDesired | rcode,
    questions: [question],
    answers,
    authorities,
  });
}

export interface DnsServer {
  port: number;
  close(): Promise<void>;
}

/** Binds 127.0.0.1:`port` (0 picks one) and answers from `source` until closed. */
export async function startDnsServer(
  source: ZoneSource,
  options: { port?: number; log?: (line: string) => void } = {},
): Promise<DnsServer> {
  const socket: Socket = createSocket('udp4');
  socket.on('message', (message: Buffer, remote: RemoteInfo) => {
    if (message.length < 12) return;
    try {
      socket.send(respond(source, message), remote.port, remote.address);
    } catch (error) {
      options.log?.(`dns: ${(error as Error).message}`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return {
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
