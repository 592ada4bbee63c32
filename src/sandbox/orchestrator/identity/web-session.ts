import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProjectsError } from '../../../protocol/errors.js';
import { type Html, layout } from '../web/html.js';
import { hmac, safeEqual } from './crypto.js';
import type { User } from './store.js';

/**
 * Browser-side state of a request: the signed-in web session (if any) and what is needed for CSRF
 * protection. The auth hook attaches it; pages of any orchestrator module use the helpers below.
 *
 * CSRF: every browser gets an HttpOnly `projects_browser` cookie holding a random id; a form's token is
 * HMAC(server key, that id). A cross-site page can neither read the cookie nor compute the HMAC, and
 * SameSite=Lax keeps the cookies off cross-site POSTs anyway.
 */
export const SESSION_COOKIE = 'projects_session';
export const BROWSER_COOKIE = 'projects_browser';
export const CSRF_FIELD = 'csrf';
export const CSRF_HEADER = 'x-csrf-token';

export interface WebSession {
  id: string;
  user: User;
  expiresAt: number;
}

interface WebState {
  csrfKey: string;
  browserId: string | undefined;
  session: WebSession | undefined;
}

const webStates = new WeakMap<FastifyRequest, WebState>();

export function attachWebState(request: FastifyRequest, state: WebState): void {
  webStates.set(request, state);
}

function stateOf(request: FastifyRequest): WebState {
  const state = webStates.get(request);
  if (!state) throw new Error('web state missing: the identity module must be mounted first');
  return state;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0) cookies.set(part.slice(0, index).trim(), decodeURIComponent(part.slice(index + 1).trim()));
  }
  return cookies;
}

/** HttpOnly, SameSite=Lax, whole-site cookie. No `Secure`: the sandbox speaks plain HTTP on loopback. */
export function cookieHeader(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}`;
}

export function webSession(request: FastifyRequest): WebSession | undefined {
  return webStates.get(request)?.session;
}

/** Only same-site paths may be a post-login destination (no open redirect to `//evil` or `/\evil`). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/';
}

/**
 * For pages that need a signed-in human: returns the session, or answers with a redirect to the sign-in
 * page (coming back here afterwards) and returns undefined — then the handler just returns the reply.
 */
export function requireWebSession(request: FastifyRequest, reply: FastifyReply): WebSession | undefined {
  const session = webSession(request);
  if (!session) reply.redirect(`/login?next=${encodeURIComponent(safeNext(request.url))}`, 303);
  return session;
}

/** The CSRF token for forms on this page; gives the browser its id cookie on first sight. */
export function csrfToken(request: FastifyRequest, reply: FastifyReply): string {
  const state = stateOf(request);
  if (!state.browserId) {
    state.browserId = randomBytes(24).toString('base64url');
    reply.header('set-cookie', cookieHeader(BROWSER_COOKIE, state.browserId, 365 * 24 * 3600));
  }
  return hmac(state.csrfKey, `csrf:${state.browserId}`);
}

export function hasValidCsrf(request: FastifyRequest): boolean {
  const state = webStates.get(request);
  if (!state?.browserId) return false;
  const body = request.body as Record<string, unknown> | undefined;
  const presented = body?.[CSRF_FIELD] ?? request.headers[CSRF_HEADER];
  return (
    typeof presented === 'string' && safeEqual(presented, hmac(state.csrfKey, `csrf:${state.browserId}`))
  );
}

export function verifyCsrf(request: FastifyRequest): void {
  if (!hasValidCsrf(request)) {
    throw new ProjectsError(
      'INVALID_ARGUMENT',
      'missing or invalid CSRF token; reload the page and try again',
      {
        httpStatus: 403,
      },
    );
  }
}

/** Sends a full page in the shared layout, with the header showing who is signed in. */
export function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  page: { title: string; body: Html; status?: number },
): FastifyReply {
  const session = webSession(request);
  const document = layout(
    { title: page.title, signedInAs: session?.user.email, csrf: csrfToken(request, reply) },
    page.body,
  );
  return reply
    .status(page.status ?? 200)
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .type('text/html; charset=utf-8')
    .send(document.value);
}

/** Parses HTML form posts (`application/x-www-form-urlencoded`) into a flat object in this context. */
export function acceptForms(app: FastifyInstance): void {
  if (app.hasContentTypeParser('application/x-www-form-urlencoded')) return;
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
}
