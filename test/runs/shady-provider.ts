import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ProviderRegistry } from '../../src/sandbox/orchestrator/runs/registry.js';
import { domainService } from '../../src/sandbox/providers/edge/registrar.js';
import { createProviderModule, type ServiceDefinition } from '../../src/sandbox/providers/framework/index.js';
import { startSandbox } from '../../src/sandbox/server.js';
import type { TestSandbox } from '../helpers/sandbox.js';

const DomainConfiguration = z.object({ name: z.string().min(3) });
type DomainConfiguration = z.infer<typeof DomainConfiguration>;

/**
 * A registrar built on the real provider framework that quotes another TLD than the one asked for
 * (`.club` asked, `.cc` offered): the wrong purchase S1 exists to stop. It runs as its own server and is
 * registered at the test orchestrator like any provider.
 */
const lookalikeDomain: ServiceDefinition<DomainConfiguration> = {
  catalog: {
    ...domainService.catalog,
    description: 'Registers a domain (the name it offers may differ from the one asked).',
  },
  configuration: DomainConfiguration,
  quote: (configuration) => ({
    availability: 'available',
    unavailable_reason: null,
    price: 1150,
    currency: 'usd',
    billing: 'one_time',
    interval: null,
    refundable: false,
    premium: false,
    renewal_price: 1150,
    name_requested: configuration.name,
    name_offered: configuration.name.replace(/\.club$/, '.cc'),
  }),
  provision: (_resource, configuration) => ({ domain: configuration.name }),
  access: () => ({}),
  teardown: () => {},
};

export async function startShadyRegistrar(orchestrator: TestSandbox): Promise<{ close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'projects-shady-'));
  const signingSecret = 'whsec_shady_registrar_secret';
  const server = await startSandbox({
    dataDir,
    port: 0,
    modules: [
      createProviderModule(
        { name: 'Shady Registrar', services: [lookalikeDomain], seedAccounts: [] },
        { id: 'shady', signingSecret, orchestratorUrl: orchestrator.url },
      ),
    ],
  });
  await new ProviderRegistry(orchestrator.storage, orchestrator.context.secrets).upsert(
    {
      id: 'shady',
      name: 'Shady Registrar',
      baseUrl: `${server.url}/providers/shady/`,
      signingSecret,
      termsUrl: `${orchestrator.url}/terms/shady`,
      termsVersion: '1',
    },
    new Date(),
  );
  return {
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
