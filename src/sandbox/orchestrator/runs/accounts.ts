import { createHash, randomBytes } from 'node:crypto';
import { ProjectsError } from '../../../protocol/errors.js';
import type { Principal } from '../../../protocol/scopes.js';
import type { Db } from '../../db.js';
import type { SealedColumn, SecretBox } from '../../secret-box.js';
import type { ProviderCalls } from './provider-calls.js';
import type { RegisteredProvider } from './registry.js';

/**
 * Account linking at providers (DESIGN.md §2.2): the orchestrator asks the provider for an account for
 * the user's email with a PKCE challenge. `oauth` (the provider created the account) is exchanged at once;
 * `requires_auth` (the account already existed) is a human gate: the human consents on the provider's
 * page, which sends `code` + `state` to our callback, where the code is exchanged with the verifier we kept.
 */
export const ACCOUNTS_MIGRATION = `
CREATE TABLE runs_provider_accounts (
  user_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  account_id TEXT NOT NULL,
  access_token TEXT NOT NULL,
  linked_at TEXT NOT NULL,
  PRIMARY KEY (user_id, provider)
);
CREATE TABLE runs_account_links (
  state TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  code_verifier TEXT NOT NULL,
  consent_url TEXT NOT NULL,
  expires_at TEXT NOT NULL
)`;

/** The provider-issued account tokens: presented again on every call, so sealed rather than hashed. */
export const ACCOUNT_TOKENS: SealedColumn = { table: 'runs_provider_accounts', column: 'access_token' };

/** How long a link request (and the provider's consent page) stays valid. */
const LINK_TTL_MS = 15 * 60 * 1000;

export class Accounts {
  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    private readonly calls: ProviderCalls,
    private readonly baseUrl: () => string,
    private readonly now: () => number,
  ) {}

  /** The provider account token for this user, linking the account first if needed. */
  async tokenFor(principal: Principal, provider: RegisteredProvider): Promise<string> {
    const linked = this.db
      .prepare('SELECT access_token FROM runs_provider_accounts WHERE user_id = ? AND provider = ?')
      .get(principal.userId, provider.id) as { access_token: string } | undefined;
    if (linked) return this.secrets.open(linked.access_token, ACCOUNT_TOKENS);
    const pending = this.pendingConsent(principal.userId, provider.id);
    if (pending) throw consentRequired(provider, pending);
    return this.requestAccount(principal, provider);
  }

  /** Completes a consent-page link: called by the provider's redirect with `code` and `state`. */
  async complete(provider: RegisteredProvider, code: string, state: string): Promise<void> {
    const link = this.db
      .prepare('SELECT * FROM runs_account_links WHERE state = ? AND provider = ?')
      .get(state, provider.id) as { user_id: string; code_verifier: string; expires_at: string } | undefined;
    if (!link || Date.parse(link.expires_at) <= this.now()) {
      throw new ProjectsError(
        'INVALID_ARGUMENT',
        'this account link is unknown or expired; rerun the command',
        {
          httpStatus: 400,
        },
      );
    }
    // Single use: the state is gone before the code is exchanged, so a replayed redirect does nothing.
    this.db.prepare('DELETE FROM runs_account_links WHERE state = ?').run(state);
    await this.exchange(link.user_id, provider, code, link.code_verifier);
  }

  /** The human refused (or the provider failed) on the consent page: forget the link so a rerun starts over. */
  cancel(provider: RegisteredProvider, state: string): void {
    this.db
      .prepare('DELETE FROM runs_account_links WHERE state = ? AND provider = ?')
      .run(state, provider.id);
  }

  private async requestAccount(principal: Principal, provider: RegisteredProvider): Promise<string> {
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(24).toString('base64url');
    const expiresAt = new Date(this.now() + LINK_TTL_MS).toISOString();
    const answer = await this.calls.client(provider).requestAccount({
      email: principal.email,
      scopes: [],
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      redirect_uri: `${this.baseUrl()}/providers/callback/${encodeURIComponent(provider.id)}`,
      state,
      expires_at: expiresAt,
    });
    if (answer.type === 'oauth')
      return this.exchange(principal.userId, provider, answer.oauth.code, verifier);
    const consentUrl = answer.requires_auth.redirect_url;
    this.db
      .prepare(
        `INSERT INTO runs_account_links (state, user_id, provider, code_verifier, consent_url, expires_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(state, principal.userId, provider.id, verifier, consentUrl, expiresAt);
    throw consentRequired(provider, consentUrl);
  }

  private async exchange(userId: string, provider: RegisteredProvider, code: string, verifier: string) {
    const token = await this.calls.client(provider).exchangeCode({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
    });
    this.db
      .prepare(
        `INSERT INTO runs_provider_accounts (user_id, provider, account_id, access_token, linked_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (user_id, provider) DO UPDATE SET account_id = excluded.account_id,
           access_token = excluded.access_token, linked_at = excluded.linked_at`,
      )
      .run(
        userId,
        provider.id,
        token.account_id,
        this.secrets.seal(token.access_token, ACCOUNT_TOKENS),
        new Date(this.now()).toISOString(),
      );
    return token.access_token;
  }

  private pendingConsent(userId: string, providerId: string): string | undefined {
    const row = this.db
      .prepare(
        `SELECT consent_url FROM runs_account_links WHERE user_id = ? AND provider = ? AND expires_at > ?
         ORDER BY expires_at DESC LIMIT 1`,
      )
      .get(userId, providerId, new Date(this.now()).toISOString()) as { consent_url: string } | undefined;
    return row?.consent_url;
  }
}

function consentRequired(provider: RegisteredProvider, url: string): ProjectsError {
  return new ProjectsError(
    'HUMAN_REQUIRED',
    `you already have an account at ${provider.name}: a human must allow this orchestrator to use it`,
    {
      httpStatus: 403,
      details: { reason: 'provider_consent', provider: provider.id, url },
      next: [
        { command: `open ${url}`, why: 'consent at the provider in a browser, then rerun this command' },
      ],
    },
  );
}
