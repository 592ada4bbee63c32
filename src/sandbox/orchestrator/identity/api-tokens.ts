import type { FastifyInstance } from 'fastify';
import { ProjectsError } from '../../../protocol/errors.js';
import {
  type ApiTokenInfo,
  type ApiTokenList,
  CreateApiTokenRequest,
  type CreatedApiToken,
  type RevokedApiToken,
  TOKEN_PREFIXES,
} from '../../../protocol/oauth.js';
import type { Principal } from '../../../protocol/scopes.js';
import { newSecret } from '../../../protocol/secrets.js';
import type { SandboxContext } from '../../context.js';
import { requirePrincipal, requireScope } from '../principal.js';
import { auditIdentity } from './audit.js';
import { hashSecret, newId } from './crypto.js';
import type { ApiToken, IdentityStore } from './store.js';
import { passTokenGate } from './token-approval.js';

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function tokenInfo(token: ApiToken): ApiTokenInfo {
  return {
    id: token.id,
    name: token.name,
    scopes: token.scopes,
    created_at: iso(token.createdAt)!,
    expires_at: iso(token.expiresAt)!,
    last_used_at: iso(token.lastUsedAt),
    revoked_at: iso(token.revokedAt),
  };
}

/** Token management is a human's act: an agent's token can neither mint nor revoke tokens. */
function requireHuman(principal: Principal, what: string): void {
  if (principal.kind !== 'human') {
    throw new ProjectsError('HUMAN_REQUIRED', `only a human's login can ${what}, not an API token`, {
      httpStatus: 403,
      next: [{ command: 'projects login', why: 'sign in as the human who owns the account' }],
    });
  }
}

/**
 * Scoped API tokens for CI and agents: created through a human's approval (token-approval.ts; the value is
 * shown once), listed, revoked. Stored hashed.
 */
export function registerApiTokens(app: FastifyInstance, ctx: SandboxContext, store: IdentityStore): void {
  app.post('/v1/tokens', async (request, reply) => {
    // Only a human's login may ask (it carries `approve`, which no token can); a human must then approve.
    const principal = requireScope(request, 'approve');
    requireHuman(principal, 'create tokens');
    const parsed = CreateApiTokenRequest.safeParse(request.body);
    if (!parsed.success) {
      throw new ProjectsError('INVALID_ARGUMENT', 'invalid token request', {
        httpStatus: 400,
        details: {
          issues: parsed.error.issues.map(({ path, message }) => ({ path: path.join('.'), message })),
        },
      });
    }
    const beyond = parsed.data.scopes.filter((scope) => !principal.scopes.includes(scope));
    if (beyond.length > 0) {
      throw new ProjectsError('SCOPE_DENIED', 'a token cannot carry scopes its creator lacks', {
        httpStatus: 403,
        details: { requested: beyond, granted: principal.scopes },
      });
    }
    const asked = { ...parsed.data, scopes: [...new Set(parsed.data.scopes)] };
    const id = newId('tok_');
    const approvalId = await passTokenGate(ctx, principal, asked, id);
    const now = ctx.now();
    const value = newSecret(TOKEN_PREFIXES.apiToken);
    const token: ApiToken = {
      id,
      userId: principal.userId,
      name: asked.name,
      scopes: asked.scopes,
      createdAt: now,
      expiresAt: now + asked.expires_in * 1000,
      lastUsedAt: null,
      revokedAt: null,
    };
    await store.insertApiToken({ ...token, hash: hashSecret(value) });
    await auditIdentity(ctx, {
      user: { id: principal.userId, email: principal.email },
      actor: principal.actor,
      action: 'api_token.create',
      subject: token.id,
      details: {
        name: token.name,
        scopes: token.scopes,
        expires_at: iso(token.expiresAt),
        approval_id: approvalId,
      },
    });
    const created: CreatedApiToken = { ...tokenInfo(token), token: value };
    return reply.status(201).header('cache-control', 'no-store').send(created);
  });

  app.get('/v1/tokens', async (request): Promise<ApiTokenList> => {
    const principal = requirePrincipal(request);
    return { tokens: (await store.listApiTokens(principal.userId)).map(tokenInfo) };
  });

  app.delete<{ Params: { id: string } }>('/v1/tokens/:id', async (request): Promise<RevokedApiToken> => {
    const principal = requirePrincipal(request);
    requireHuman(principal, 'revoke tokens');
    if (!(await store.revokeApiToken(request.params.id, principal.userId, ctx.now()))) {
      throw new ProjectsError('NOT_FOUND', `no live token '${request.params.id}'`, {
        httpStatus: 404,
        next: [{ command: 'projects token list', why: 'see your tokens' }],
      });
    }
    await auditIdentity(ctx, {
      user: { id: principal.userId, email: principal.email },
      actor: principal.actor,
      action: 'api_token.revoke',
      subject: request.params.id,
    });
    return { id: request.params.id, revoked: true };
  });
}
