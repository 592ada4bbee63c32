import type { OrchestratorStorage } from '../storage/unit-of-work.js';

/**
 * Purchases whose outcome is unknown (S3). Written, and committed, just before the orchestrator asks
 * the provider to create a paid resource; removed once the resource is recorded or the provider
 * definitely refused. A rerun with the same idempotency key that finds one here must not quote again —
 * the provider may already have charged, the domain may already be ours and quote as "taken" — but
 * resume with the same quote, the same payment token and the same key, so that the provider answers
 * with the resource it created the first time.
 */
export class InflightPurchases {
  constructor(private readonly storage: OrchestratorStorage) {}

  /** The quote of an earlier attempt under this key whose outcome is unknown, if any. */
  quoteFor(userId: string, key: string): Promise<string | undefined> {
    return this.storage.transaction((tx) => tx.inflight.quoteFor(userId, key));
  }

  remember(userId: string, key: string, quoteId: string, now: Date): Promise<void> {
    return this.storage.transaction((tx) => tx.inflight.remember(userId, key, quoteId, now.toISOString()));
  }

  forget(userId: string, key: string): Promise<void> {
    return this.storage.transaction((tx) => tx.inflight.forget(userId, key));
  }
}
