/**
 * The seam between the `edge` provider's provisioning side (owned by the providers module: accounts,
 * `hosting:site` resources and their deploy tokens, `dns:zone` data) and its serving side (this folder:
 * the deploy API, Host-header routing, the worker runtime, the DNS server, the CA and the HTTPS listener).
 *
 * The provisioning side implements this interface and hands it to `createEdgeDeployModule(hosting)`;
 * the serving side never reads the provisioning tables directly.
 */

/** A `hosting:site` resource as the serving side needs it. */
export interface HostedSite {
  /** The resource id (`res_…`). */
  id: string;
  /** DNS-label-safe name (`[a-z0-9-]{1,40}`), unique across the provider: `<name>.localhost` serves it. */
  name: string;
  /** The provider account that owns the site (and may own zones). */
  accountId: string;
}

export type DnsRecordType = 'A' | 'AAAA' | 'CNAME' | 'TXT';

export interface DnsRecord {
  /** Fully qualified, lowercase, without trailing dot (`www.example.com`). */
  name: string;
  type: DnsRecordType;
  /** An address, a host name (CNAME) or the text (TXT). */
  value: string;
  ttl: number;
}

export interface DnsZone {
  id: string;
  /** The apex, lowercase, e.g. `example.com`. */
  name: string;
  accountId: string;
}

export interface EdgeHosting {
  /** The live site a deploy token authorizes; undefined when unknown, rotated or removed. */
  siteForDeployToken(token: string): HostedSite | undefined;
  /**
   * The live site with this id; undefined once removed — its deployments then stop being served, and the
   * next collection pass (gc.ts) deletes them. A site that has deployments was live, so undefined means removed.
   */
  siteById(id: string): HostedSite | undefined;
  /** Calls `listener` after a site is removed (possibly inside the removing transaction: defer real work). */
  onSiteRemoved(listener: (siteId: string) => void): void;
  /** The zone that covers `hostname` (its apex or a name below it), whoever owns it. */
  zoneFor(hostname: string): DnsZone | undefined;
  /** Replaces the records of `type` at `name` in the zone with `records` (same name and type). */
  replaceRecords(zoneId: string, name: string, type: DnsRecordType, records: readonly DnsRecord[]): void;
  /** Every record of the zone, for the authoritative DNS server. */
  records(zoneId: string): readonly DnsRecord[];
}
