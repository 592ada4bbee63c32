import { ProviderClient } from '../../../client/provider-client.js';
import type { Service } from '../../../protocol/provider.js';
import type { RegisteredProvider } from './registry.js';

/**
 * The orchestrator's one way to reach a provider: the signed client, configured from the registry.
 * The client validates every answer, so a provider that is down or answers garbage surfaces here as
 * PROVIDER_UNAVAILABLE / INVALID_RESPONSE.
 */
export class ProviderCalls {
  constructor(
    private readonly orchestratorId: string,
    private readonly now: () => number,
  ) {}

  client(provider: RegisteredProvider): ProviderClient {
    return new ProviderClient({
      baseUrl: provider.baseUrl,
      secret: provider.signingSecret,
      orchestratorId: this.orchestratorId,
      now: this.now,
    });
  }

  async services(provider: RegisteredProvider): Promise<Service[]> {
    return (await this.client(provider).services()).services;
  }
}
