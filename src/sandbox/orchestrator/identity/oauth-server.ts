import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  type AuthorizationServerMetadata,
  CLI_CLIENT_ID,
  DEVICE_CODE_GRANT_TYPE,
  type DeviceAuthorizationResponse,
  TOKEN_PREFIXES,
  type TokenResponse,
} from '../../../protocol/oauth.js';
import { SCOPES } from '../../../protocol/scopes.js';
import { newSecret } from '../../../protocol/secrets.js';
import type { SandboxContext } from '../../context.js';
import { auditIdentity } from './audit.js';
import { hashSecret } from './crypto.js';
import { issueTokens, startGrant } from './grants.js';
import {
  newUserCode,
  OAuthError,
  parseRequestedScopes,
  pkceMatches,
  requireClient,
} from './oauth-requests.js';
import type { Grant, IdentityStore } from './store.js';

type Form = Record<string, string | undefined>;

const DEVICE_CODE_SECONDS = 600;
/** RFC 8628 §3.5: every `slow_down` adds 5 seconds to the interval the client must keep. */
const SLOW_DOWN_STEP_SECONDS = 5;
/** Timers and the network jitter; a client that waits the interval is never told to slow down. */
const POLL_TOLERANCE_MS = 250;

export interface OAuthServerOptions {
  /** Seconds between device-code polls. The sandbox is local, so it need not be RFC 8628's default of 5. */
  deviceIntervalSeconds: number;
}

function sendOAuthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  return reply
    .status(error.status)
    .header('cache-control', 'no-store')
    .send({ error: error.code, error_description: error.message });
}

export function authorizationServerMetadata(issuer: string): AuthorizationServerMetadata {
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    device_authorization_endpoint: `${issuer}/oauth/device_authorization`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token', DEVICE_CODE_GRANT_TYPE],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint_auth_methods_supported: ['none'],
    scopes_supported: [...SCOPES],
  };
}

/**
 * The machine-facing endpoints of the authorization server: metadata (RFC 8414), device authorization
 * (RFC 8628), the token endpoint (device code, authorization code + PKCE, refresh with rotation) and
 * revocation (RFC 7009). The human-facing pages are in oauth-pages.ts.
 */
export function registerOAuthServer(
  app: FastifyInstance,
  ctx: SandboxContext,
  store: IdentityStore,
  options: OAuthServerOptions,
): void {
  app.get('/.well-known/oauth-authorization-server', async () => authorizationServerMetadata(ctx.baseUrl()));

  app.post<{ Body: Form }>('/oauth/device_authorization', async (request, reply) => {
    try {
      const body = request.body ?? {};
      requireClient(body.client_id);
      const scopes = parseRequestedScopes(body.scope);
      const deviceCode = newSecret(TOKEN_PREFIXES.deviceCode);
      const userCode = newUserCode();
      await store.insertDeviceCode(
        {
          deviceCodeHash: hashSecret(deviceCode),
          userCode,
          clientId: CLI_CLIENT_ID,
          scopes,
          expiresAt: ctx.now() + DEVICE_CODE_SECONDS * 1000,
          intervalSeconds: options.deviceIntervalSeconds,
        },
        ctx.now(),
      );
      const verificationUri = `${ctx.baseUrl()}/device`;
      const answer: DeviceAuthorizationResponse = {
        device_code: deviceCode,
        user_code: userCode,
        verification_uri: verificationUri,
        verification_uri_complete: `${verificationUri}?user_code=${userCode}`,
        expires_in: DEVICE_CODE_SECONDS,
        interval: options.deviceIntervalSeconds,
      };
      return reply.header('cache-control', 'no-store').send(answer);
    } catch (error) {
      if (error instanceof OAuthError) return sendOAuthError(reply, error);
      throw error;
    }
  });

  /**
   * Ends a login (every token of its grant) and records who or what ended it. One unit, audited only by
   * the revocation that changed the grant: concurrent reuses of one refresh token record it once.
   */
  function revokeLogin(grant: Grant, actor: string | undefined, reason: string): Promise<void> {
    return ctx.storage.transaction(async (tx) => {
      if (!(await tx.identity.revokeGrant(grant.id, ctx.now()))) return;
      const user = await tx.identity.findUser(grant.userId);
      if (user) {
        const event = { user, actor, action: 'login.revoke', subject: grant.id, details: { reason } };
        await auditIdentity(ctx, event, tx);
      }
    });
  }

  async function deviceCodeGrant(body: Form): Promise<TokenResponse> {
    const now = ctx.now();
    const hash = hashSecret(String(body.device_code ?? ''));
    const code = await store.findDeviceCode(hash);
    if (!code || code.clientId !== body.client_id)
      throw new OAuthError('invalid_grant', 'unknown device code');
    if (code.status === 'consumed') throw new OAuthError('invalid_grant', 'device code already used');
    if (now >= code.expiresAt) throw new OAuthError('expired_token', 'the device code expired; start again');
    if (code.status === 'denied') throw new OAuthError('access_denied', 'the login was denied');
    if (code.status === 'pending') {
      const tooSoon =
        code.lastPolledAt !== null &&
        now - code.lastPolledAt < code.intervalSeconds * 1000 - POLL_TOLERANCE_MS;
      const interval = code.intervalSeconds + (tooSoon ? SLOW_DOWN_STEP_SECONDS : 0);
      await store.recordDevicePoll(hash, now, interval);
      if (tooSoon) throw new OAuthError('slow_down', `polling too fast; wait ${interval} s between requests`);
      throw new OAuthError('authorization_pending', 'waiting for the human to confirm');
    }
    // Consuming the code and starting the login are one unit: a code is exchanged for one login only.
    return ctx.storage.transaction(async (tx) => {
      if (!(await tx.identity.transitionDeviceCode(hash, 'approved', 'consumed'))) {
        throw new OAuthError('invalid_grant', 'device code already used');
      }
      const grant = { userId: code.userId!, clientId: code.clientId, scopes: code.scopes };
      return (await startGrant(tx.identity, grant, now)).tokens;
    });
  }

  async function authorizationCodeGrant(body: Form): Promise<TokenResponse> {
    const now = ctx.now();
    const hash = hashSecret(String(body.code ?? ''));
    const code = await store.findAuthCode(hash);
    if (!code || code.clientId !== body.client_id) throw new OAuthError('invalid_grant', 'unknown code');
    if (code.usedAt !== null) {
      // RFC 6749 §4.1.2: a code used twice was probably stolen; what it issued is revoked too.
      if (code.grantId) await store.revokeGrant(code.grantId, now);
      throw new OAuthError('invalid_grant', 'code already used');
    }
    if (now >= code.expiresAt) throw new OAuthError('invalid_grant', 'code expired');
    if (code.redirectUri !== body.redirect_uri)
      throw new OAuthError('invalid_grant', 'redirect_uri mismatch');
    if (!pkceMatches(body.code_verifier, code.codeChallenge)) {
      throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
    }
    // The login and the spending of the code are one unit: a replayed code starts nothing.
    return ctx.storage.transaction(async (tx) => {
      const grant = { userId: code.userId, clientId: code.clientId, scopes: code.scopes };
      const started = await startGrant(tx.identity, grant, now);
      if (!(await tx.identity.useAuthCode(hash, started.grantId, now)))
        throw new OAuthError('invalid_grant', 'code already used');
      return started.tokens;
    });
  }

  async function refreshTokenGrant(body: Form): Promise<TokenResponse> {
    const now = ctx.now();
    const hash = hashSecret(String(body.refresh_token ?? ''));
    const token = await store.findOAuthToken(hash);
    if (token?.kind !== 'refresh' || token.grant.clientId !== body.client_id) {
      throw new OAuthError('invalid_grant', 'unknown refresh token');
    }
    if (token.grant.revoked) throw new OAuthError('invalid_grant', 'this login was revoked; log in again');
    if (now >= token.expiresAt) throw new OAuthError('invalid_grant', 'refresh token expired; log in again');
    // Rotation and the new pair are one unit: of two uses of one refresh token, exactly one gets tokens.
    const rotated = await ctx.storage.transaction(async (tx) =>
      (await tx.identity.rotateRefreshToken(hash, now))
        ? issueTokens(tx.identity, token.grant.id, token.grant.scopes, now)
        : undefined,
    );
    if (!rotated) {
      // Reuse of a rotated refresh token: one of its holders is not the legitimate client. Revoke the family.
      await revokeLogin(token.grant, 'system', 'refresh token reuse');
      throw new OAuthError('invalid_grant', 'refresh token reuse detected; this login was revoked');
    }
    return rotated;
  }

  const grants: Record<string, (body: Form) => Promise<TokenResponse>> = {
    [DEVICE_CODE_GRANT_TYPE]: deviceCodeGrant,
    authorization_code: authorizationCodeGrant,
    refresh_token: refreshTokenGrant,
  };

  app.post<{ Body: Form }>('/oauth/token', async (request, reply) => {
    try {
      const body = request.body ?? {};
      requireClient(body.client_id);
      const grant = grants[String(body.grant_type)];
      if (!grant)
        throw new OAuthError('unsupported_grant_type', `unsupported grant_type '${body.grant_type}'`);
      return reply
        .header('cache-control', 'no-store')
        .header('pragma', 'no-cache')
        .send(await grant(body));
    } catch (error) {
      if (error instanceof OAuthError) return sendOAuthError(reply, error);
      throw error;
    }
  });

  // RFC 7009: revoking an access or refresh token ends the whole login; an API token is revoked alone.
  // Unknown tokens are not an error (the answer must not tell an attacker which tokens exist).
  app.post<{ Body: Form }>('/oauth/revoke', async (request, reply) => {
    const token = request.body?.token;
    if (!token) return sendOAuthError(reply, new OAuthError('invalid_request', 'token is required'));
    const hash = hashSecret(token);
    const oauthToken = await store.findOAuthToken(hash);
    if (oauthToken) await revokeLogin(oauthToken.grant, undefined, 'revoked by its holder');
    const apiToken = oauthToken ? undefined : await store.findApiTokenByHash(hash);
    const user = apiToken && (await store.findUser(apiToken.userId));
    if (apiToken && user && (await store.revokeApiToken(apiToken.id, apiToken.userId, ctx.now()))) {
      await auditIdentity(ctx, {
        user,
        actor: `token:${apiToken.id}`,
        action: 'api_token.revoke',
        subject: apiToken.id,
      });
    }
    return reply.status(200).header('cache-control', 'no-store').send();
  });
}
