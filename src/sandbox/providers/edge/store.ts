import { storeOf, TableStore } from '../framework/store.js';
import type { ProviderRuntime } from '../framework/types.js';
import type { DnsRecord, DnsRecordType, DnsZone } from './deploy/hosting.js';

/**
 * The edge provider's own tables — registered domains, DNS zones and their records, hosted sites — and
 * every statement its services (registrar, dns, hosting) run on them. The deploy module keeps its own
 * tables in deploy/store.ts.
 */

/** The edge's tables, after the framework's; `table` gives the prefixed name. */
export function edgeMigrations(table: (name: string) => string): string[] {
  return [
    `CREATE TABLE ${table('domains')} (name TEXT PRIMARY KEY, resource_id TEXT NOT NULL UNIQUE,
       account_id TEXT NOT NULL, registered_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
     CREATE TABLE ${table('zones')} (resource_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
       account_id TEXT NOT NULL);
     CREATE TABLE ${table('dns_records')} (id INTEGER PRIMARY KEY AUTOINCREMENT, zone_id TEXT NOT NULL,
       name TEXT NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL, ttl INTEGER NOT NULL);
     CREATE INDEX ${table('dns_records_by_zone')} ON ${table('dns_records')}(zone_id, name);
     CREATE TABLE ${table('sites')} (resource_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
       account_id TEXT NOT NULL, plan TEXT NOT NULL);`,
  ];
}

export interface DomainRow {
  name: string;
  resource_id: string;
  account_id: string;
  registered_at: number;
  expires_at: number;
}

export interface SiteRow {
  resource_id: string;
  name: string;
  account_id: string;
  plan: string;
}

export type StoredDnsRecord = DnsRecord & { id: number };

/** The edge store of a mounted provider. */
export function edgeStore(rt: ProviderRuntime): EdgeStore {
  return storeOf(rt.storage, EdgeStore);
}

export class EdgeStore extends TableStore {
  // Domains (registrar).

  domainRegistered(name: string): boolean {
    return this.sql('SELECT 1 FROM {domains} WHERE name = ?').get(name) !== undefined;
  }

  domainOwnedBy(name: string, accountId: string): boolean {
    return (
      this.sql('SELECT 1 FROM {domains} WHERE name = ? AND account_id = ?').get(name, accountId) !== undefined
    );
  }

  insertDomain(row: DomainRow): void {
    this.sql(
      `INSERT INTO {domains} (name, resource_id, account_id, registered_at, expires_at)
       VALUES (@name, @resource_id, @account_id, @registered_at, @expires_at)`,
    ).run(row);
  }

  deleteDomainOf(resourceId: string): void {
    this.sql('DELETE FROM {domains} WHERE resource_id = ?').run(resourceId);
  }

  // Zones and records (dns).

  zoneExists(name: string): boolean {
    return this.sql('SELECT 1 FROM {zones} WHERE name = ?').get(name) !== undefined;
  }

  insertZone(zone: DnsZone): void {
    this.sql('INSERT INTO {zones} (resource_id, name, account_id) VALUES (?, ?, ?)').run(
      zone.id,
      zone.name,
      zone.accountId,
    );
  }

  /** Deletes a zone with its records. */
  deleteZone(resourceId: string): void {
    this.transaction(() => {
      this.sql('DELETE FROM {dns_records} WHERE zone_id = ?').run(resourceId);
      this.sql('DELETE FROM {zones} WHERE resource_id = ?').run(resourceId);
    });
  }

  /** The zone covering `name` (its apex or any name below it), the most specific first. */
  zoneCovering(name: string): DnsZone | undefined {
    const row = this.sql(
      `SELECT resource_id, name, account_id FROM {zones}
       WHERE name = ? OR substr(?, -length(name) - 1) = '.' || name ORDER BY length(name) DESC LIMIT 1`,
    ).get(name, name) as { resource_id: string; name: string; account_id: string } | undefined;
    return row ? { id: row.resource_id, name: row.name, accountId: row.account_id } : undefined;
  }

  records(zoneId: string): StoredDnsRecord[] {
    return this.sql('SELECT id, name, type, value, ttl FROM {dns_records} WHERE zone_id = ? ORDER BY id').all(
      zoneId,
    ) as StoredDnsRecord[];
  }

  /** Adds a record; answers its id. */
  insertRecord(zoneId: string, record: DnsRecord): number {
    return Number(
      this.sql('INSERT INTO {dns_records} (zone_id, name, type, value, ttl) VALUES (?, ?, ?, ?, ?)').run(
        zoneId,
        record.name,
        record.type,
        record.value,
        record.ttl,
      ).lastInsertRowid,
    );
  }

  /** Replaces the records of `type` at `name`, atomically. */
  replaceRecords(zoneId: string, name: string, type: DnsRecordType, records: readonly DnsRecord[]): void {
    this.transaction(() => {
      this.sql('DELETE FROM {dns_records} WHERE zone_id = ? AND name = ? AND type = ?').run(
        zoneId,
        name,
        type,
      );
      for (const record of records) this.insertRecord(zoneId, record);
    });
  }

  /** Deletes one record of the zone; false when it has no such record. */
  deleteRecord(zoneId: string, id: number): boolean {
    return this.sql('DELETE FROM {dns_records} WHERE zone_id = ? AND id = ?').run(zoneId, id).changes > 0;
  }

  // Sites (hosting).

  siteNameTaken(name: string): boolean {
    return this.sql('SELECT 1 FROM {sites} WHERE name = ?').get(name) !== undefined;
  }

  insertSite(row: SiteRow): void {
    this.sql(
      'INSERT INTO {sites} (resource_id, name, account_id, plan) VALUES (@resource_id, @name, @account_id, @plan)',
    ).run(row);
  }

  site(resourceId: string): SiteRow | undefined {
    return this.sql('SELECT * FROM {sites} WHERE resource_id = ?').get(resourceId) as SiteRow | undefined;
  }

  deleteSite(resourceId: string): void {
    this.sql('DELETE FROM {sites} WHERE resource_id = ?').run(resourceId);
  }
}
