import { TOKEN_PREFIXES, type TokenResponse } from '../../../protocol/oauth.js';
import type { Scope } from '../../../protocol/scopes.js';
import { newSecret } from '../../../protocol/secrets.js';
import { hashSecret, newId } from './crypto.js';
import type { IdentityStore } from './store.js';

export const ACCESS_TOKEN_SECONDS = 3600;
export const REFRESH_TOKEN_SECONDS = 30 * 24 * 3600;

/** Starts a login (a grant: the family of all tokens refreshed from it) and issues its first tokens. */
export async function startGrant(
  store: IdentityStore,
  grant: { userId: string; clientId: string; scopes: readonly Scope[] },
  now: number,
): Promise<{ grantId: string; tokens: TokenResponse }> {
  const grantId = newId('grt_');
  await store.createGrant({ id: grantId, ...grant }, now);
  return { grantId, tokens: await issueTokens(store, grantId, grant.scopes, now) };
}

/** A fresh access + refresh token pair for a grant; only their hashes are stored. */
export async function issueTokens(
  store: IdentityStore,
  grantId: string,
  scopes: readonly Scope[],
  now: number,
): Promise<TokenResponse> {
  const accessToken = newSecret(TOKEN_PREFIXES.accessToken);
  const refreshToken = newSecret(TOKEN_PREFIXES.refreshToken);
  await store.insertOAuthToken(
    { hash: hashSecret(accessToken), grantId, kind: 'access', expiresAt: now + ACCESS_TOKEN_SECONDS * 1000 },
    now,
  );
  await store.insertOAuthToken(
    {
      hash: hashSecret(refreshToken),
      grantId,
      kind: 'refresh',
      expiresAt: now + REFRESH_TOKEN_SECONDS * 1000,
    },
    now,
  );
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_SECONDS,
    refresh_token: refreshToken,
    scope: scopes.join(' '),
  };
}
