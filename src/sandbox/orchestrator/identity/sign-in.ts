import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from '../../context.js';
import { csrfField, html } from '../web/html.js';
import { auditIdentity } from './audit.js';
import { hashSecret, newId, newRandomKey } from './crypto.js';
import type { IdentityStore } from './store.js';
import { authenticate } from './users.js';
import {
  cookieHeader,
  csrfToken,
  parseCookies,
  SESSION_COOKIE,
  safeNext,
  sendPage,
  webSession,
} from './web-session.js';

const SESSION_SECONDS = 7 * 24 * 3600;

interface LoginForm {
  email?: string;
  password?: string;
  next?: string;
}

function sendLoginPage(request: FastifyRequest, reply: FastifyReply, next: string, error?: string) {
  return sendPage(request, reply, {
    title: 'Sign in',
    status: error ? 401 : 200,
    body: html`${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      <form method="post" action="/login">
        ${csrfField(csrfToken(request, reply))}
        <input type="hidden" name="next" value="${next}">
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required>
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required>
        <button type="submit">Sign in</button>
      </form>`,
  });
}

/** The home page, sign-in and sign-out. */
export function registerSignIn(app: FastifyInstance, ctx: SandboxContext, store: IdentityStore): void {
  app.get('/', async (request, reply) => {
    const session = webSession(request);
    const body = session
      ? html`<p>Signed in as <strong>${session.user.email}</strong>.</p>
          <ul><li><a href="/device">Confirm a device login</a></li><li><a href="/terms">Terms of service</a></li>
          <li><a href="/billing">Billing</a></li><li><a href="/approvals">Approvals</a></li></ul>`
      : html`<p>This is the local Projects orchestrator. <a href="/login">Sign in</a> to manage logins,
          terms, billing and approvals.</p>`;
    return sendPage(request, reply, { title: 'Projects sandbox', body });
  });

  app.get<{ Querystring: { next?: string } }>('/login', async (request, reply) => {
    const next = safeNext(request.query.next);
    if (webSession(request)) return reply.redirect(next, 303);
    return sendLoginPage(request, reply, next);
  });

  app.post<{ Body: LoginForm }>('/login', async (request, reply) => {
    const next = safeNext(request.body?.next);
    const user = await authenticate(
      store,
      String(request.body?.email ?? ''),
      String(request.body?.password ?? ''),
    );
    if (!user) return sendLoginPage(request, reply, next, 'Email or password is incorrect.');
    const token = newRandomKey();
    const now = ctx.now();
    await store.createSession(
      {
        id: newId('ses_'),
        tokenHash: hashSecret(token),
        userId: user.id,
        expiresAt: now + SESSION_SECONDS * 1000,
      },
      now,
    );
    await auditIdentity(ctx, { user, action: 'web.sign_in', subject: user.id });
    return reply
      .header('set-cookie', cookieHeader(SESSION_COOKIE, token, SESSION_SECONDS))
      .redirect(next, 303);
  });

  app.post('/logout', async (request, reply) => {
    const token = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
    if (token) await store.deleteSession(hashSecret(token));
    return reply.header('set-cookie', cookieHeader(SESSION_COOKIE, '', 0)).redirect('/login', 303);
  });
}
