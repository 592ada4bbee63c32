import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TOKEN_PREFIXES } from '../../../protocol/oauth.js';
import { type Principal, SCOPES, type Scope } from '../../../protocol/scopes.js';
import type { SandboxContext } from '../../context.js';
import type { SealedColumn } from '../../secret-box.js';
import { currentPrincipal, setPrincipal } from '../principal.js';
import { hashSecret, newRandomKey } from './crypto.js';
import type { IdentityStore, User } from './store.js';
import { attachWebState, BROWSER_COOKIE, parseCookies, SESSION_COOKIE, verifyCsrf } from './web-session.js';

/** How a request authenticated, for `GET /v1/me` and the audit trail. */
export interface Credential {
  type: 'oauth' | 'api_token' | 'session';
  id: string;
  expiresAt: number | null;
}

const credentials = new WeakMap<FastifyRequest, Credential>();

export function currentCredential(request: FastifyRequest): Credential | undefined {
  return credentials.get(request);
}

/** Machine endpoints of the OAuth server: called by the CLI with form bodies, never from a page. */
const MACHINE_FORM_ENDPOINTS = new Set(['/oauth/token', '/oauth/revoke', '/oauth/device_authorization']);

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function isProviderPath(url: string): boolean {
  return url.startsWith('/providers/');
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function humanPrincipal(user: User, credentialId: string, scopes: readonly Scope[]): Principal {
  return {
    userId: user.id,
    email: user.email,
    kind: 'human',
    credentialId,
    scopes,
    actor: `human:${user.email}`,
  };
}

function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

/**
 * Resolves an OAuth access token or a scoped API token. Unknown, expired or revoked: undefined. Given a
 * unit's repository, it awaits nothing else.
 */
async function resolveBearer(
  store: IdentityStore,
  token: string,
  now: number,
): Promise<{ principal: Principal; credential: Credential } | undefined> {
  const hash = hashSecret(token);
  if (token.startsWith(`${TOKEN_PREFIXES.accessToken}_`)) {
    const row = await store.findOAuthToken(hash);
    if (row?.kind !== 'access' || row.expiresAt <= now || row.grant.revoked) return undefined;
    const user = await store.findUser(row.grant.userId);
    if (!user) return undefined;
    return {
      principal: humanPrincipal(user, row.grant.id, row.grant.scopes),
      credential: { type: 'oauth', id: row.grant.id, expiresAt: row.expiresAt },
    };
  }
  if (token.startsWith(`${TOKEN_PREFIXES.apiToken}_`)) {
    const apiToken = await store.findApiTokenByHash(hash);
    if (!apiToken || apiToken.revokedAt !== null || apiToken.expiresAt <= now) return undefined;
    const user = await store.findUser(apiToken.userId);
    if (!user) return undefined;
    await store.touchApiToken(apiToken.id, now);
    return {
      principal: {
        userId: user.id,
        email: user.email,
        kind: 'token',
        credentialId: apiToken.id,
        scopes: apiToken.scopes,
        actor: `token:${apiToken.id}`,
      },
      credential: { type: 'api_token', id: apiToken.id, expiresAt: apiToken.expiresAt },
    };
  }
  return undefined;
}

/** Server keys (the CSRF HMAC key) are sealed: a copy of the database must not let anyone forge form tokens. */
export const SERVER_KEYS: SealedColumn = { table: 'identity_keys', column: 'value' };

/**
 * The orchestrator's authentication, registered at the root so that it covers every orchestrator
 * module's routes (provider routes under /providers/ have their own signed-request auth):
 * - `Authorization: Bearer` with an OAuth access token or an API token sets the principal;
 *   an invalid bearer token sets nothing (and does not fall back to cookies), so `requireScope` answers 401.
 * - otherwise the web session cookie sets a human principal with every scope.
 * Writes authenticated by a cookie, and every HTML form post, must carry a valid CSRF token.
 */
export async function registerAuthHooks(
  app: FastifyInstance,
  ctx: SandboxContext,
  store: IdentityStore,
): Promise<void> {
  const sealed = await store.key('csrf', () => ctx.secrets.seal(newRandomKey(), SERVER_KEYS));
  const csrfKey = ctx.secrets.open(sealed, SERVER_KEYS);

  app.addHook('onRequest', async (request) => {
    if (isProviderPath(request.url)) return;
    const cookies = parseCookies(request.headers.cookie);
    const bearer = bearerToken(request);
    const sessionToken = bearer === undefined ? cookies.get(SESSION_COOKIE) : undefined;
    const session = sessionToken ? await store.findSession(hashSecret(sessionToken), ctx.now()) : undefined;
    attachWebState(request, { csrfKey, browserId: cookies.get(BROWSER_COOKIE), session });
    if (bearer !== undefined) {
      // One unit for the lookups (and an API token's last use), not one per call: this runs on every request.
      const resolved = await ctx.storage.transaction((tx) => resolveBearer(tx.identity, bearer, ctx.now()));
      if (resolved) {
        setPrincipal(request, resolved.principal);
        credentials.set(request, resolved.credential);
      }
    } else if (session) {
      setPrincipal(request, humanPrincipal(session.user, session.id, SCOPES));
      credentials.set(request, { type: 'session', id: session.id, expiresAt: session.expiresAt });
    }
  });

  app.addHook('preHandler', async (request) => {
    if (!UNSAFE_METHODS.has(request.method) || isProviderPath(request.url)) return;
    if (MACHINE_FORM_ENDPOINTS.has(pathOf(request.url))) return;
    const isForm = (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const byCookie =
      currentCredential(request)?.type === 'session' && currentPrincipal(request) !== undefined;
    if (isForm || byCookie) verifyCsrf(request);
  });
}
