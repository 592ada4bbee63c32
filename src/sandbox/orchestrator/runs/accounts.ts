import { randomBytes } from 'node:crypto';
import { newPkce } from '../../../client/loopback.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { Principal } from '../../../protocol/scopes.js';
import type { SealedColumn, SecretBox } from '../../secret-box.js';
import type { OrchestratorStorage } from '../storage/unit-of-work.js';
import type { ProviderCalls } from './provider-calls.js';
import type { RegisteredProvider } from './registry.js';

/**
 * Account linking at providers (DESIGN.md §2.2): the orchestrator asks the provider for an account for
 * the user's email with a PKCE challenge. `oauth` (the provider created the account) is exchanged at once;
 * `requires_auth` (the account already existed) is a human gate: the human consents on the provider's
 * page, which sends `code` + `state` to our callback, where the code is exchanged with the verifier we kept.
 */
/** The provider-issued account tokens: presented again on every call, so sealed rather than hashed. */
export const ACCOUNT_TOKENS: SealedColumn = { table: 'runs_provider_accounts', column: 'access_token' };
/** The PKCE verifiers kept while a consent is pending: with one, an intercepted code could be exchanged. */
export const LINK_VERIFIERS: SealedColumn = { table: 'runs_account_links', column: 'code_verifier' };

/** How long a link request (and the provider's consent page) stays valid. */
const LINK_TTL_MS = 15 * 60 * 1000;

export class Accounts {
  constructor(
    private readonly storage: OrchestratorStorage,
    private readonly secrets: SecretBox,
    private readonly calls: ProviderCalls,
    private readonly baseUrl: () => string,
    private readonly now: () => number,
  ) {}

  /** The provider account token for this user, linking the account first if needed. */
  async tokenFor(principal: Principal, provider: RegisteredProvider): Promise<string> {
    const linked = await this.storage.transaction((tx) =>
      tx.accounts.accessToken(principal.userId, provider.id),
    );
    if (linked) return this.secrets.open(linked, ACCOUNT_TOKENS);
    const pending = await this.pendingConsent(principal.userId, provider.id);
    if (pending) throw consentRequired(provider, pending);
    return this.requestAccount(principal, provider);
  }

  /** Completes a consent-page link: called by the provider's redirect with `code` and `state`. */
  async complete(provider: RegisteredProvider, code: string, state: string): Promise<void> {
    // Single use: the state is gone before the code is exchanged, so a replayed redirect does nothing.
    const link = await this.storage.transaction(async (tx) => {
      const found = await tx.accounts.findLink(state, provider.id);
      if (!found || Date.parse(found.expires_at) <= this.now()) return undefined;
      await tx.accounts.deleteLink(state, provider.id);
      return found;
    });
    if (!link) {
      throw new ProjectsError(
        'INVALID_ARGUMENT',
        'this account link is unknown or expired; rerun the command',
        {
          httpStatus: 400,
        },
      );
    }
    await this.exchange(link.user_id, provider, code, this.secrets.open(link.code_verifier, LINK_VERIFIERS));
  }

  /** The human refused (or the provider failed) on the consent page: forget the link so a rerun starts over. */
  cancel(provider: RegisteredProvider, state: string): Promise<void> {
    return this.storage.transaction((tx) => tx.accounts.deleteLink(state, provider.id));
  }

  private async requestAccount(principal: Principal, provider: RegisteredProvider): Promise<string> {
    const { verifier, challenge } = newPkce();
    const state = randomBytes(24).toString('base64url');
    const expiresAt = new Date(this.now() + LINK_TTL_MS).toISOString();
    const answer = await this.calls.client(provider).requestAccount({
      email: principal.email,
      scopes: [],
      code_challenge: challenge,
      code_challenge_method: 'S256',
      redirect_uri: `${this.baseUrl()}/providers/callback/${encodeURIComponent(provider.id)}`,
      state,
      expires_at: expiresAt,
    });
    if (answer.type === 'oauth')
      return this.exchange(principal.userId, provider, answer.oauth.code, verifier);
    const consentUrl = answer.requires_auth.redirect_url;
    await this.storage.transaction((tx) =>
      tx.accounts.insertLink({
        state,
        user_id: principal.userId,
        provider: provider.id,
        code_verifier: this.secrets.seal(verifier, LINK_VERIFIERS),
        consent_url: consentUrl,
        expires_at: expiresAt,
      }),
    );
    throw consentRequired(provider, consentUrl);
  }

  private async exchange(userId: string, provider: RegisteredProvider, code: string, verifier: string) {
    const token = await this.calls.client(provider).exchangeCode({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
    });
    await this.storage.transaction((tx) =>
      tx.accounts.saveAccount({
        userId,
        provider: provider.id,
        accountId: token.account_id,
        accessToken: this.secrets.seal(token.access_token, ACCOUNT_TOKENS),
        linkedAt: new Date(this.now()).toISOString(),
      }),
    );
    return token.access_token;
  }

  private pendingConsent(userId: string, providerId: string): Promise<string | undefined> {
    const now = new Date(this.now()).toISOString();
    return this.storage.transaction((tx) => tx.accounts.pendingConsentUrl(userId, providerId, now));
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
