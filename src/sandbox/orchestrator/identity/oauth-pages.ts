import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TOKEN_PREFIXES } from '../../../protocol/oauth.js';
import type { Scope } from '../../../protocol/scopes.js';
import { newSecret } from '../../../protocol/secrets.js';
import type { SandboxContext } from '../../context.js';
import { csrfField, type Html, html } from '../web/html.js';
import { auditIdentity } from './audit.js';
import { hashSecret } from './crypto.js';
import {
  isLoopbackRedirect,
  isS256Challenge,
  normalizeUserCode,
  OAuthError,
  parseRequestedScopes,
  requireClient,
} from './oauth-requests.js';
import type { IdentityStore } from './store.js';
import { csrfToken, requireWebSession, sendPage } from './web-session.js';

const AUTH_CODE_SECONDS = 300;

const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  read: 'see your projects, resources, spend and audit log',
  'provision:free': 'create free resources',
  'provision:paid': 'buy paid resources within your caps',
  'deploy:preview': 'publish preview deployments',
  'deploy:production': 'publish production deployments',
  approve: 'satisfy approvals on your behalf at an interactive terminal',
};

function scopeList(scopes: readonly Scope[]): Html {
  return html`<ul>${scopes.map((scope) => html`<li><code>${scope}</code> — ${SCOPE_DESCRIPTIONS[scope]}</li>`)}</ul>`;
}

type Query = Record<string, string | undefined>;

type ParsedAuthorization =
  | { kind: 'redirect'; url: string }
  | {
      kind: 'ok';
      request: {
        clientId: string;
        redirectUri: string;
        codeChallenge: string;
        state?: string | undefined;
        scopes: Scope[];
      };
      redirectError: (error: string, description: string) => string;
    };

const AUTHORIZATION_PARAMS = [
  'client_id',
  'redirect_uri',
  'response_type',
  'code_challenge',
  'code_challenge_method',
  'state',
  'scope',
];

/** The human side of the authorization server: confirming a device code, and the consent page. */
export function registerOAuthPages(app: FastifyInstance, ctx: SandboxContext, store: IdentityStore): void {
  function sendCodeEntry(request: FastifyRequest, reply: FastifyReply, error?: string) {
    return sendPage(request, reply, {
      title: 'Confirm a device login',
      status: error ? 400 : 200,
      body: html`${error ? html`<p class="error" role="alert">${error}</p>` : ''}
        <p>Enter the code shown in your terminal.</p>
        <form method="get" action="/device">
          <label for="user_code">Code</label>
          <input id="user_code" name="user_code" autocomplete="off" placeholder="XXXX-XXXX" required>
          <button type="submit">Continue</button>
        </form>`,
    });
  }

  async function pendingCode(userCode: string | undefined) {
    const code = userCode ? await store.findDeviceCodeByUserCode(userCode) : undefined;
    return code?.status === 'pending' && ctx.now() < code.expiresAt ? code : undefined;
  }

  app.get<{ Querystring: Query }>('/device', async (request, reply) => {
    if (!requireWebSession(request, reply)) return reply;
    if (request.query.user_code === undefined) return sendCodeEntry(request, reply);
    const code = await pendingCode(normalizeUserCode(request.query.user_code));
    if (!code) return sendCodeEntry(request, reply, 'That code is unknown, already used or expired.');
    return sendPage(request, reply, {
      title: 'Confirm a device login',
      body: html`<p>Check that your terminal shows this code:</p>
        <p class="code" id="user-code">${code.userCode}</p>
        <p>The <strong>projects</strong> CLI asks to act as you, with permission to:</p>
        ${scopeList(code.scopes)}
        <p class="muted">Only confirm a login you started yourself.</p>
        <form method="post" action="/device">
          ${csrfField(csrfToken(request, reply))}
          <input type="hidden" name="user_code" value="${code.userCode}">
          <button type="submit" name="decision" value="approve" id="approve">Confirm login</button>
          <button type="submit" name="decision" value="deny" id="deny">Deny</button>
        </form>`,
    });
  });

  app.post<{ Body: Query }>('/device', async (request, reply) => {
    const session = requireWebSession(request, reply);
    if (!session) return reply;
    const code = await pendingCode(normalizeUserCode(request.body?.user_code));
    if (!code) return sendCodeEntry(request, reply, 'That code is unknown, already used or expired.');
    const approve = request.body?.decision === 'approve';
    const changed = await store.transitionDeviceCode(
      code.deviceCodeHash,
      'pending',
      approve ? 'approved' : 'denied',
      session.user.id,
    );
    if (!changed) return sendCodeEntry(request, reply, 'That code was already confirmed or denied.');
    await auditIdentity(ctx, {
      user: session.user,
      action: approve ? 'login.device_approve' : 'login.device_deny',
      subject: code.userCode,
      details: { scopes: code.scopes },
    });
    return sendPage(request, reply, {
      title: approve ? 'Login confirmed' : 'Login denied',
      body: approve
        ? html`<p class="ok" role="status">Your terminal is now signed in. You can close this page.</p>`
        : html`<p role="status">The login was denied; the terminal will say so.</p>`,
    });
  });

  /**
   * Validates an authorization request (the query, or the consent form's echo of it). Errors that can
   * be reported to the client come back as a redirect to it; the others are thrown (shown on a page).
   */
  function parseAuthorizationRequest(params: Query): ParsedAuthorization {
    // Without a valid client and loopback redirect there is nowhere safe to send an error: show it here.
    requireClient(params.client_id);
    if (!isLoopbackRedirect(params.redirect_uri)) {
      throw new OAuthError('invalid_request', 'redirect_uri must be a loopback http URL (RFC 8252)');
    }
    const redirectUri = params.redirect_uri;
    const redirectError = (error: string, description: string) => {
      const url = new URL(redirectUri);
      url.searchParams.set('error', error);
      url.searchParams.set('error_description', description);
      if (params.state) url.searchParams.set('state', params.state);
      return url.toString();
    };
    if (params.response_type !== 'code') {
      return {
        kind: 'redirect',
        url: redirectError('unsupported_response_type', 'only response_type=code is supported'),
      };
    }
    if (params.code_challenge_method !== 'S256' || !isS256Challenge(params.code_challenge)) {
      return {
        kind: 'redirect',
        url: redirectError('invalid_request', 'PKCE with code_challenge_method=S256 is required'),
      };
    }
    try {
      return {
        kind: 'ok',
        request: {
          clientId: params.client_id!,
          redirectUri,
          codeChallenge: params.code_challenge,
          state: params.state,
          scopes: parseRequestedScopes(params.scope),
        },
        redirectError,
      };
    } catch (error) {
      if (error instanceof OAuthError)
        return { kind: 'redirect', url: redirectError(error.code, error.message) };
      throw error;
    }
  }

  function sendInvalidRequest(request: FastifyRequest, reply: FastifyReply, error: unknown) {
    if (!(error instanceof OAuthError)) throw error;
    return sendPage(request, reply, {
      title: 'Invalid sign-in request',
      status: 400,
      body: html`<p class="error" role="alert">${error.message}</p>`,
    });
  }

  app.get<{ Querystring: Query }>('/oauth/authorize', async (request, reply) => {
    let parsed: ParsedAuthorization;
    try {
      parsed = parseAuthorizationRequest(request.query);
    } catch (error) {
      return sendInvalidRequest(request, reply, error);
    }
    if (parsed.kind === 'redirect') return reply.redirect(parsed.url, 303);
    if (!requireWebSession(request, reply)) return reply;
    const echo = Object.entries(request.query)
      .filter(([name]) => AUTHORIZATION_PARAMS.includes(name))
      .map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
    return sendPage(request, reply, {
      title: 'Authorize the projects CLI',
      body: html`<p>The <strong>projects</strong> CLI on this machine asks to act as you, with permission to:</p>
        ${scopeList(parsed.request.scopes)}
        <form method="post" action="/oauth/authorize">
          ${csrfField(csrfToken(request, reply))}${echo}
          <button type="submit" name="decision" value="approve" id="approve">Authorize</button>
          <button type="submit" name="decision" value="deny" id="deny">Deny</button>
        </form>`,
    });
  });

  app.post<{ Body: Query }>('/oauth/authorize', async (request, reply) => {
    const session = requireWebSession(request, reply);
    if (!session) return reply;
    let parsed: ParsedAuthorization;
    try {
      parsed = parseAuthorizationRequest(request.body ?? {});
    } catch (error) {
      return sendInvalidRequest(request, reply, error);
    }
    if (parsed.kind === 'redirect') return reply.redirect(parsed.url, 303);
    const { request: authorization, redirectError } = parsed;
    if (request.body?.decision !== 'approve') {
      return reply.redirect(redirectError('access_denied', 'the human denied the request'), 303);
    }
    const code = newSecret(TOKEN_PREFIXES.authorizationCode);
    const now = ctx.now();
    await store.insertAuthCode(
      {
        hash: hashSecret(code),
        clientId: authorization.clientId,
        redirectUri: authorization.redirectUri,
        codeChallenge: authorization.codeChallenge,
        scopes: authorization.scopes,
        userId: session.user.id,
        expiresAt: now + AUTH_CODE_SECONDS * 1000,
      },
      now,
    );
    await auditIdentity(ctx, {
      user: session.user,
      action: 'login.authorize',
      subject: authorization.clientId,
      details: { scopes: authorization.scopes, redirect_uri: authorization.redirectUri },
    });
    const target = new URL(authorization.redirectUri);
    target.searchParams.set('code', code);
    if (authorization.state) target.searchParams.set('state', authorization.state);
    return reply.redirect(target.toString(), 303);
  });
}
