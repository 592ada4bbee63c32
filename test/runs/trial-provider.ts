import { z } from 'zod';
import { createProviderModule, type ServiceDefinition } from '../../src/sandbox/providers/framework/index.js';
import type { SandboxProviderEntry } from '../../src/sandbox/providers/index.js';

const VaultConfiguration = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+$/),
  gigabytes: z.int().min(1).max(100),
});
type VaultConfiguration = z.infer<typeof VaultConfiguration>;

/** $1.00 per gigabyte and month. */
const PRICE_PER_GIGABYTE = 100;

/**
 * A paid service that is refundable, which no reference provider sells (the sandbox has no refund path,
 * so none of its catalog claims one): what the auto-approve rule applies to. Built on the real provider
 * framework and mounted in the test sandbox beside the reference providers, so its captures are real.
 */
const backupVault: ServiceDefinition<VaultConfiguration> = {
  catalog: {
    id: 'backup:vault',
    name: 'Backup vault',
    description: 'Encrypted backups, priced per gigabyte; cancel within the month for a full refund.',
    categories: ['storage'],
    kind: 'backup_vault',
    pricing: {
      type: 'paid',
      billing: 'recurring',
      interval: 'month',
      currency: 'usd',
      amount: null,
      refundable: true,
    },
  },
  configuration: VaultConfiguration,
  quote: (configuration) => ({
    availability: 'available',
    unavailable_reason: null,
    price: configuration.gigabytes * PRICE_PER_GIGABYTE,
    currency: 'usd',
    billing: 'recurring',
    interval: 'month',
    refundable: true,
    premium: false,
    renewal_price: configuration.gigabytes * PRICE_PER_GIGABYTE,
    name_requested: configuration.name,
    name_offered: configuration.name,
  }),
  provision: (_resource, configuration) => ({ gigabytes: configuration.gigabytes }),
  access: () => ({}),
  teardown: () => {},
};

export const TRIAL_PROVIDER: SandboxProviderEntry = {
  id: 'trial',
  create: (options) => [
    createProviderModule({ name: 'Trial Backups', services: [backupVault], seedAccounts: [] }, options),
  ],
};
