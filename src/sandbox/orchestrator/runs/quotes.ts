import type { Quote } from '../../../protocol/orchestrator.js';
import type { Quote as ProviderQuote } from '../../../protocol/provider.js';
import type { Db } from '../../db.js';
import { newId } from './ids.js';

/**
 * Quotes as the orchestrator keeps them: the provider's binding price for one configuration, under the
 * orchestrator's own id, with its expiry and the exact-intent warnings raised about it.
 */
export const QUOTES_MIGRATION = `
CREATE TABLE runs_quotes (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  provider_quote_id TEXT NOT NULL,
  body TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL
)`;

export class QuoteStore {
  constructor(private readonly db: Db) {}

  record(
    owner: { userId: string; projectId: string; provider: string },
    answer: ProviderQuote,
    warnings: string[],
    now: Date,
  ): Quote {
    const { id: providerQuoteId, ...rest } = answer;
    const quote: Quote = {
      ...rest,
      id: newId('qt'),
      provider: owner.provider,
      provider_quote_id: providerQuoteId,
      warnings,
    };
    this.db
      .prepare(
        `INSERT INTO runs_quotes (id, user_id, project_id, provider, provider_quote_id, body, expires_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        quote.id,
        owner.userId,
        owner.projectId,
        owner.provider,
        providerQuoteId,
        JSON.stringify(quote),
        quote.expires_at,
        now.toISOString(),
      );
    return quote;
  }

  get(id: string): Quote {
    const row = this.db.prepare('SELECT body FROM runs_quotes WHERE id = ?').get(id) as { body: string };
    return JSON.parse(row.body) as Quote;
  }
}
