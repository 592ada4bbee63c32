import type { FastifyRequest } from 'fastify';
import { ProjectsError } from '../../../protocol/errors.js';
import type { AccountRequestAnswer, TokenResponse } from '../../../protocol/provider.js';
import { AccountRequest, TokenRequest } from '../../../protocol/provider.js';
import { parseBody } from './http.js';
import { hashPassword, pkceChallenge, randomId, randomToken, tokenHash } from './secrets.js';
import type { AccountRow } from './store.js';
import type { FrameworkRuntime, ProviderRuntime, SeedAccount } from './types.js';

/**
 * Provider accounts and the account-linking half of the protocol: account requests (create the account
 * and answer `oauth`, or send a known user to the consent page), authorization codes bound to a PKCE S256
 * challenge, and the provider-issued account tokens the orchestrator presents afterwards.
 */

const CODE_TTL_MS = 10 * 60_000;

export function seedAccounts(rt: FrameworkRuntime, seeds: readonly SeedAccount[]): void {
  for (const seed of seeds) {
    if (rt.store.accountByEmail(seed.email)) continue;
    rt.store.insertAccount({
      id: randomId('acct_'),
      email: seed.email,
      name: seed.name,
      password_hash: hashPassword(seed.password),
      auto_created: 0,
      created_at: rt.now(),
    });
  }
}

/** Redirects and captures go only to the orchestrator this provider is registered with. */
export function assertOrchestratorUrl(rt: ProviderRuntime, url: string, what: string): void {
  if (new URL(url).origin !== new URL(rt.orchestratorUrl()).origin) {
    throw new ProjectsError('INVALID_ARGUMENT', `${what} is not at the orchestrator this provider trusts`, {
      httpStatus: 400,
      details: { expected_origin: new URL(rt.orchestratorUrl()).origin },
    });
  }
}

export function handleAccountRequest(rt: FrameworkRuntime, body: unknown): AccountRequestAnswer {
  const input = parseBody(AccountRequest, body);
  assertOrchestratorUrl(rt, input.redirect_uri, 'redirect_uri');
  const expiresAt = Date.parse(input.expires_at);
  if (expiresAt <= rt.now()) {
    throw new ProjectsError('INVALID_ARGUMENT', 'account request already expired', { httpStatus: 400 });
  }
  const email = input.email.toLowerCase();
  const existing = rt.store.accountByEmail(email);
  const scopes = JSON.stringify(input.scopes);
  if (existing?.password_hash) {
    // The human already has an account here: only they can link it, on the provider's own page.
    const id = randomId('areq_');
    rt.store.insertAccountRequest({
      id,
      account_id: existing.id,
      scopes,
      code_challenge: input.code_challenge,
      redirect_uri: input.redirect_uri,
      state: input.state,
      consent_token: randomToken(''),
      status: 'pending',
      expires_at: expiresAt,
    });
    return {
      type: 'requires_auth',
      requires_auth: {
        redirect_url: `${rt.baseUrl()}oauth/consent?request=${id}`,
        expires_at: new Date(expiresAt).toISOString(),
      },
    };
  }
  const account = existing ?? createAccount(rt, email, input.name ?? null);
  const code = issueCode(rt, account.id, scopes, input.code_challenge);
  return {
    type: 'oauth',
    oauth: { code, expires_at: new Date(rt.now() + CODE_TTL_MS).toISOString() },
    account: { id: account.id, created: !existing },
  };
}

function createAccount(rt: FrameworkRuntime, email: string, name: string | null): AccountRow {
  const row: AccountRow = {
    id: randomId('acct_'),
    email,
    name,
    password_hash: null,
    auto_created: 1,
    created_at: rt.now(),
  };
  rt.store.insertAccount(row);
  return row;
}

export function issueCode(
  rt: FrameworkRuntime,
  accountId: string,
  scopes: string,
  challenge: string,
): string {
  const code = randomToken('code_');
  rt.store.insertCode({
    code_hash: tokenHash(code),
    account_id: accountId,
    scopes,
    code_challenge: challenge,
    expires_at: rt.now() + CODE_TTL_MS,
  });
  return code;
}

/** `authorization_code` grant: single-use code, unexpired, and the verifier must hash to the challenge. */
export function handleTokenRequest(rt: FrameworkRuntime, body: unknown): TokenResponse {
  const input = parseBody(TokenRequest, body);
  const invalidGrant = (why: string) =>
    new ProjectsError('INVALID_ARGUMENT', `invalid_grant: ${why}`, {
      httpStatus: 400,
      details: { oauth_error: 'invalid_grant' },
    });
  const hash = tokenHash(input.code);
  const row = rt.store.code(hash);
  if (!row || row.used_at !== null) throw invalidGrant('unknown or already used code');
  if (row.expires_at <= rt.now()) throw invalidGrant('code expired');
  // Burn the code before checking the verifier, so that a wrong guess cannot be retried.
  if (!rt.store.useCode(hash, rt.now())) throw invalidGrant('unknown or already used code');
  if (pkceChallenge(input.code_verifier) !== row.code_challenge) throw invalidGrant('PKCE verifier mismatch');
  const accessToken = randomToken(`${rt.id}_at_`);
  rt.store.insertAccountToken(tokenHash(accessToken), row.account_id, row.scopes, rt.now());
  const scopes = JSON.parse(row.scopes) as string[];
  return {
    access_token: accessToken,
    token_type: 'bearer',
    scope: scopes.join(' '),
    account_id: row.account_id,
  };
}

/** The account behind `Authorization: Bearer <provider-issued account token>`, or 401. */
export function authenticateAccount(rt: FrameworkRuntime, request: FastifyRequest): AccountRow {
  const header = request.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  const row = token ? rt.store.accountByToken(tokenHash(token)) : undefined;
  if (!row) {
    throw new ProjectsError('AUTH_REQUIRED', 'a valid provider account token is required', {
      httpStatus: 401,
      details: { reason: token ? 'unknown_token' : 'missing_token' },
    });
  }
  return row;
}
