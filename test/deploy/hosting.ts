import { randomBytes } from 'node:crypto';
import type {
  DnsRecord,
  DnsRecordType,
  DnsZone,
  EdgeHosting,
  HostedSite,
} from '../../src/sandbox/providers/edge/deploy/hosting.js';

/**
 * The provisioning side of `edge` as the serving side sees it, held in memory: sites with deploy tokens
 * and zones with records. It stands in for the providers module's `hosting:site`/`dns:zone` resources so
 * the serving side can be tested over real HTTP, DNS and TLS on its own.
 */
export class MemoryHosting implements EdgeHosting {
  readonly #sites = new Map<string, HostedSite>();
  readonly #tokens = new Map<string, string>();
  readonly #zones = new Map<string, DnsZone>();
  readonly #records = new Map<string, DnsRecord[]>();
  readonly #removalListeners: ((siteId: string) => void)[] = [];

  addSite(name: string, accountId = 'acct_1'): { site: HostedSite; token: string } {
    const site = { id: `res_${randomBytes(6).toString('hex')}`, name, accountId };
    const token = `edt_${randomBytes(24).toString('base64url')}`;
    this.#sites.set(site.id, site);
    this.#tokens.set(token, site.id);
    return { site, token };
  }

  removeSite(id: string): void {
    this.#sites.delete(id);
    for (const [token, siteId] of this.#tokens) if (siteId === id) this.#tokens.delete(token);
    for (const listener of this.#removalListeners) listener(id);
  }

  onSiteRemoved(listener: (siteId: string) => void): void {
    this.#removalListeners.push(listener);
  }

  addZone(name: string, accountId = 'acct_1'): DnsZone {
    const zone = { id: `res_${randomBytes(6).toString('hex')}`, name, accountId };
    this.#zones.set(zone.id, zone);
    this.#records.set(zone.id, []);
    return zone;
  }

  siteForDeployToken(token: string): HostedSite | undefined {
    const id = this.#tokens.get(token);
    return id ? this.#sites.get(id) : undefined;
  }

  siteById(id: string): HostedSite | undefined {
    return this.#sites.get(id);
  }

  zoneFor(hostname: string): DnsZone | undefined {
    return [...this.#zones.values()].find(
      (zone) => hostname === zone.name || hostname.endsWith(`.${zone.name}`),
    );
  }

  replaceRecords(zoneId: string, name: string, type: DnsRecordType, records: readonly DnsRecord[]): void {
    const kept = (this.#records.get(zoneId) ?? []).filter(
      (record) => record.name !== name || record.type !== type,
    );
    this.#records.set(zoneId, [...kept, ...records]);
  }

  records(zoneId: string): readonly DnsRecord[] {
    return this.#records.get(zoneId) ?? [];
  }
}
