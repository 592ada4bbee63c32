import type { SandboxModule } from '../../context.js';
import { createProviderModule, type ProviderOptions, type SeedAccount } from '../framework/index.js';
import { registerDnsApi, zoneService } from './dns.js';
import { EdgeSites } from './hosting.js';
import { domainService } from './registrar.js';
import { edgeMigrations, edgeStore } from './store.js';

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
  const module = createProviderModule(
    {
      name: 'Edge',
      services: [domainService, zoneService, sites.service],
      seedAccounts: [EDGE_SEED_ACCOUNT],
      migrations: edgeMigrations,
      attach: (rt) => sites.attach(rt, edgeStore(rt)),
      routes: (app, rt) => registerDnsApi(app, rt, edgeStore(rt)),
    },
    options,
  );
  return { module, sites };
}
