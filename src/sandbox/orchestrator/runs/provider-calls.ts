import { BreakerRegistry } from '../../../client/breaker.js';
import { ProviderClient } from '../../../client/provider-client.js';
import type { RetryPolicy } from '../../../client/retry.js';
import type { Service } from '../../../protocol/provider.js';
import type { RegisteredProvider } from './registry.js';

/**
 * Retries at the orchestrator are short: a human or an agent is waiting on the answer, and a rerun
 * with the same idempotency key is always safe. A provider asking for a longer wait gets a refusal
 * the caller can act on instead.
 */
export const ORCHESTRATOR_RETRY_POLICY: Partial<RetryPolicy> = {
  maxAttempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  maxRetryAfterMs: 2_000,
  maxElapsedMs: 20_000,
};

export interface ProviderCallOptions {
  /** Deadline of one request to a provider, headers and body together (default 10 s). */
  timeoutMs?: number | undefined;
}

/**
 * The orchestrator's one way to reach a provider: the signed client, configured from the registry.
 * The client validates every answer, so a provider that is down or answers garbage surfaces here as
 * PROVIDER_UNAVAILABLE / INVALID_RESPONSE. Calls that are safe to repeat (GETs, keyed POSTs) are
 * retried with backoff; each provider has a circuit breaker that, after repeated failures, refuses at
 * once and says when it will try that provider again.
 */
export class ProviderCalls {
  private readonly breakers: BreakerRegistry;

  constructor(
    private readonly orchestratorId: string,
    private readonly now: () => number,
    private readonly options: ProviderCallOptions = {},
  ) {
    this.breakers = new BreakerRegistry({ clock: { now } });
  }

  client(provider: RegisteredProvider): ProviderClient {
    return new ProviderClient({
      baseUrl: provider.baseUrl,
      secret: provider.signingSecret,
      orchestratorId: this.orchestratorId,
      now: this.now,
      ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
      resilience: { breaker: this.breakers.for(provider.id), policy: ORCHESTRATOR_RETRY_POLICY },
    });
  }

  async services(provider: RegisteredProvider): Promise<Service[]> {
    return (await this.client(provider).services()).services;
  }
}
