import type { Quote } from '../../../protocol/orchestrator.js';
import type { Quote as ProviderQuote } from '../../../protocol/provider.js';
import type { OrchestratorStorage } from '../storage/unit-of-work.js';
import { newId } from './ids.js';

/**
 * Quotes as the orchestrator keeps them: the provider's binding price for one configuration, under the
 * orchestrator's own id, with its expiry and the exact-intent warnings raised about it.
 */
export class QuoteStore {
  constructor(private readonly storage: OrchestratorStorage) {}

  async record(
    owner: { userId: string; projectId: string; provider: string },
    answer: ProviderQuote,
    warnings: string[],
    now: Date,
  ): Promise<Quote> {
    const { id: providerQuoteId, ...rest } = answer;
    const quote: Quote = {
      ...rest,
      id: newId('qt'),
      provider: owner.provider,
      provider_quote_id: providerQuoteId,
      warnings,
    };
    const keys = {
      id: quote.id,
      user_id: owner.userId,
      project_id: owner.projectId,
      provider: owner.provider,
      provider_quote_id: providerQuoteId,
    };
    await this.storage.transaction((tx) =>
      tx.quotes.insert(keys, quote, quote.expires_at, now.toISOString()),
    );
    return quote;
  }

  async get(id: string): Promise<Quote> {
    return (await this.storage.transaction((tx) => tx.quotes.findBody(id))) as Quote;
  }
}
