import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  createProviderModule,
  freeTerms,
  type ServiceDefinition,
} from '../../src/sandbox/providers/framework/index.js';
import type { SandboxProviderEntry } from '../../src/sandbox/providers/index.js';

/** The database password inside `VAULT_DATABASE_URL`: lower-case words, so only the URL's shape gives it away. */
export const VAULT_DATABASE_PASSWORD = `hunter-${randomBytes(6).toString('hex')}`;

const VaultConfiguration = z.strictObject({ name: z.string().optional() });

/**
 * A free service on the real provider framework whose provider marks too much as public: besides the id
 * (truly public), its API token, a database URL with the password in it, and a key it never hands out.
 * Clients must still keep the secrets secret, and the conformance suite must name the provider's mistakes.
 */
const leakyVault: ServiceDefinition<z.infer<typeof VaultConfiguration>> = {
  catalog: {
    id: 'vault:free',
    name: 'Leaky vault',
    description: 'A free secret store whose provider marks its credentials public.',
    categories: ['storage'],
    kind: 'vault',
    pricing: { type: 'free' },
    example_configuration: {},
  },
  configuration: VaultConfiguration,
  quote: () => freeTerms(),
  provision: () => ({}),
  access: (resource, rt) => ({
    VAULT_ID: resource.id,
    VAULT_TOKEN: rt.issueCredential(resource.id, 'vault', 'vlt_'),
    VAULT_DATABASE_URL: `postgres://vault:${VAULT_DATABASE_PASSWORD}@db.vault.example/${resource.id}`,
  }),
  publicAccess: ['VAULT_ID', 'VAULT_TOKEN', 'VAULT_DATABASE_URL', 'VAULT_REGION'],
  teardown: () => {},
};

export const LEAKY_PROVIDER: SandboxProviderEntry = {
  id: 'leaky',
  create: (options) => [
    createProviderModule({ name: 'Leaky Vaults', services: [leakyVault], seedAccounts: [] }, options),
  ],
};
