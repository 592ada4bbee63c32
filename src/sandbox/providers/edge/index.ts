import type { SandboxModule } from '../../context.js';
import { createProviderModule, type ProviderOptions, type SeedAccount } from '../framework/index.js';
import { registerDnsApi, ZoneStore, zoneService } from './dns.js';
import { EdgeSites } from './hosting.js';
import { domainService } from './registrar.js';

/**
 * Provider `edge` (the Cloudflare role): domains, DNS zones and site hosting. `sites` is the view the
 * deploy module (deploy API, Host-header serving, DNS server, certificates) is built on.
 */

export const EDGE_SEED_ACCOUNT: SeedAccount = {
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  password: 'sandbox-ada-password',
};

export function createEdgeProvider(options: ProviderOptions): { module: SandboxModule; sites: EdgeSites } {
  const sites = new EdgeSites();
  let zones: ZoneStore | undefined;
  const module = createProviderModule(
    {
      name: 'Edge',
      services: [domainService, zoneService, sites.service],
      seedAccounts: [EDGE_SEED_ACCOUNT],
      migrations: (table) => [
        `CREATE TABLE ${table('domains')} (name TEXT PRIMARY KEY, resource_id TEXT NOT NULL UNIQUE,
           account_id TEXT NOT NULL, registered_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
         CREATE TABLE ${table('zones')} (resource_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
           account_id TEXT NOT NULL);
         CREATE TABLE ${table('dns_records')} (id INTEGER PRIMARY KEY AUTOINCREMENT, zone_id TEXT NOT NULL,
           name TEXT NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL, ttl INTEGER NOT NULL);
         CREATE INDEX ${table('dns_records_by_zone')} ON ${table('dns_records')}(zone_id, name);
         CREATE TABLE ${table('sites')} (resource_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
           account_id TEXT NOT NULL, plan TEXT NOT NULL);`,
      ],
      attach(rt) {
        zones = new ZoneStore(rt);
        sites.attach(rt, zones);
      },
      routes: (app, rt) => registerDnsApi(app, rt, zones ?? new ZoneStore(rt)),
    },
    options,
  );
  return { module, sites };
}
