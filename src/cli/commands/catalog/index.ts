import type { CatalogResponse } from '../../../protocol/orchestrator.js';
import { orchestratorApi } from '../../api.js';
import type { CommandInput } from '../../command.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';
import { describePricing } from '../../pricing.js';
import { table } from '../../style.js';

export interface CatalogOptions {
  filter?: string | undefined;
  provider?: string | undefined;
  category?: string | undefined;
}

/** `projects catalog [filter] [--provider P] [--category C]`: the services every provider offers. */
export async function runCatalog(
  options: CatalogOptions,
  factory: Factory,
): Promise<CommandResult<CatalogResponse>> {
  const catalog = await orchestratorApi(factory, { anonymous: true }).catalog({
    q: options.filter,
    provider: options.provider,
    category: options.category,
  });
  const warnings = catalog.providers
    .filter((provider) => provider.status !== 'ok')
    .map((provider) => `provider '${provider.id}' is unavailable: ${provider.error?.message ?? 'no answer'}`);
  const first = catalog.services[0];
  return {
    data: catalog,
    warnings,
    human: () =>
      catalog.services.length === 0
        ? ''
        : table(
            ['service', 'name', 'price', 'categories'],
            catalog.services.map((service) => [
              service.ref,
              service.name,
              describePricing(service.pricing),
              service.categories.join(', '),
            ]),
          ),
    next: first
      ? [
          {
            command: `projects catalog show ${first.ref}`,
            why: 'see a service in full, with its configuration',
          },
        ]
      : [{ command: 'projects catalog', why: 'nothing matched; list every service' }],
  };
}

export function run(factory: Factory, { args, options }: CommandInput): Promise<CommandResult> {
  return runCatalog(
    {
      filter: args[0],
      provider: options.provider as string | undefined,
      category: options.category as string | undefined,
    },
    factory,
  );
}
