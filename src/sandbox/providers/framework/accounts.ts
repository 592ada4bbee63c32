import type { FastifyRequest } from 'fastify';
import { ProjectsError } from '../../../protocol/errors.js';
import type { AccountRequestAnswer, TokenResponse } from '../../../protocol/provider.js';
import { AccountRequest, TokenRequest } from '../../../protocol/provider.js';
import { parseBody } from './http.js';
import { hashPassword, pkceChallenge, randomId, randomToken, tokenHash } from './secrets.js';
import type { ProviderRuntime, SeedAccount } from './types.js';

/**
 * Provider accounts and the account-linking half of the protocol: account requests (create the account
 * and answer `oauth`, or send a known user to the consent page), authorization codes bound to a PKCE S256
 * challenge, and the provider-issued account tokens the orchestrator presents afterwards.
 */

const CODE_TTL_MS = 10 * 60_000;

export interface AccountRow {
  id: string;
  email: string;
  name: string | null;
  password_hash: string | null;
  auto_created: number;
  created_at: number;
}

export interface PendingAccountRequest {
  id: string;
  account_id: string;
  scopes: string;
  code_challenge: string;
  redirect_uri: string;
  state: string;
  consent_token: string;
  status: 'pending' | 'approved' | 'denied';
  expires_at: number;
}

export function seedAccounts(rt: ProviderRuntime, seeds: readonly SeedAccount[]): void {
  const exists = rt.db.prepare(`SELECT 1 FROM ${rt.table('accounts')} WHERE email = ?`);
  const insert = rt.db.prepare(
    `INSERT INTO ${rt.table('accounts')} (id, email, name, password_hash, auto_created, created_at)
     VALUES (?, ?, ?, ?, 0, ?)`,
  );
  for (const seed of seeds) {
    if (exists.get(seed.email)) continue;
    insert.run(randomId('acct_'), seed.email, seed.name, hashPassword(seed.password), rt.now());
  }
}

export function findAccount(rt: ProviderRuntime, id: string): AccountRow | undefined {
  return rt.db.prepare(`SELECT * FROM ${rt.table('accounts')} WHERE id = ?`).get(id) as
    | AccountRow
    | undefined;
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

export function handleAccountRequest(rt: ProviderRuntime, body: unknown): AccountRequestAnswer {
  const input = parseBody(AccountRequest, body);
  assertOrchestratorUrl(rt, input.redirect_uri, 'redirect_uri');
  const expiresAt = Date.parse(input.expires_at);
  if (expiresAt <= rt.now()) {
    throw new ProjectsError('INVALID_ARGUMENT', 'account request already expired', { httpStatus: 400 });
  }
  const email = input.email.toLowerCase();
  const existing = rt.db.prepare(`SELECT * FROM ${rt.table('accounts')} WHERE email = ?`).get(email) as
    | AccountRow
    | undefined;
  const scopes = JSON.stringify(input.scopes);
  if (existing?.password_hash) {
    // The human already has an account here: only they can link it, on the provider's own page.
    const id = randomId('areq_');
    rt.db
      .prepare(
        `INSERT INTO ${rt.table('account_requests')}
         (id, account_id, scopes, code_challenge, redirect_uri, state, consent_token, status, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
      )
      .run(
        id,
        existing.id,
        scopes,
        input.code_challenge,
        input.redirect_uri,
        input.state,
        randomToken(''),
        expiresAt,
      );
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

function createAccount(rt: ProviderRuntime, email: string, name: string | null): AccountRow {
  const row: AccountRow = {
    id: randomId('acct_'),
    email,
    name,
    password_hash: null,
    auto_created: 1,
    created_at: rt.now(),
  };
  rt.db
    .prepare(
      `INSERT INTO ${rt.table('accounts')} (id, email, name, password_hash, auto_created, created_at)
       VALUES (@id, @email, @name, @password_hash, @auto_created, @created_at)`,
    )
    .run(row);
  return row;
}

export function issueCode(rt: ProviderRuntime, accountId: string, scopes: string, challenge: string): string {
  const code = randomToken('code_');
  rt.db
    .prepare(
      `INSERT INTO ${rt.table('codes')} (code_hash, account_id, scopes, code_challenge, expires_at)
       VALUES (?, ?, ?, ?, ?)`,
    )
    .run(tokenHash(code), accountId, scopes, challenge, rt.now() + CODE_TTL_MS);
  return code;
}

/** `authorization_code` grant: single-use code, unexpired, and the verifier must hash to the challenge. */
export function handleTokenRequest(rt: ProviderRuntime, body: unknown): TokenResponse {
  const input = parseBody(TokenRequest, body);
  const invalidGrant = (why: string) =>
    new ProjectsError('INVALID_ARGUMENT', `invalid_grant: ${why}`, {
      httpStatus: 400,
      details: { oauth_error: 'invalid_grant' },
    });
  const hash = tokenHash(input.code);
  const row = rt.db.prepare(`SELECT * FROM ${rt.table('codes')} WHERE code_hash = ?`).get(hash) as
    | {
        account_id: string;
        scopes: string;
        code_challenge: string;
        expires_at: number;
        used_at: number | null;
      }
    | undefined;
  if (!row || row.used_at !== null) throw invalidGrant('unknown or already used code');
  if (row.expires_at <= rt.now()) throw invalidGrant('code expired');
  // Burn the code before checking the verifier, so that a wrong guess cannot be retried.
  rt.db.prepare(`UPDATE ${rt.table('codes')} SET used_at = ? WHERE code_hash = ?`).run(rt.now(), hash);
  if (pkceChallenge(input.code_verifier) !== row.code_challenge) throw invalidGrant('PKCE verifier mismatch');
  const accessToken = randomToken(`${rt.id}_at_`);
  rt.db
    .prepare(
      `INSERT INTO ${rt.table('account_tokens')} (token_hash, account_id, scopes, created_at) VALUES (?, ?, ?, ?)`,
    )
    .run(tokenHash(accessToken), row.account_id, row.scopes, rt.now());
  const scopes = JSON.parse(row.scopes) as string[];
  return {
    access_token: accessToken,
    token_type: 'bearer',
    scope: scopes.join(' '),
    account_id: row.account_id,
  };
}

/** The account behind `Authorization: Bearer <provider-issued account token>`, or 401. */
export function authenticateAccount(rt: ProviderRuntime, request: FastifyRequest): AccountRow {
  const header = request.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  const row = token
    ? (rt.db
        .prepare(
          `SELECT a.* FROM ${rt.table('account_tokens')} t JOIN ${rt.table('accounts')} a ON a.id = t.account_id
           WHERE t.token_hash = ?`,
        )
        .get(tokenHash(token)) as AccountRow | undefined)
    : undefined;
  if (!row) {
    throw new ProjectsError('AUTH_REQUIRED', 'a valid provider account token is required', {
      httpStatus: 401,
      details: { reason: token ? 'unknown_token' : 'missing_token' },
    });
  }
  return row;
}
