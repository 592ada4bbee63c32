import type { FastifyInstance, FastifyReply } from 'fastify';
import { ProjectsError } from '../../../protocol/errors.js';
import { type DeepLink, DeepLinkRequest } from '../../../protocol/provider.js';
import { issueCode } from './accounts.js';
import { acceptForms, escapeHtml, parseBody, sendPage } from './http.js';
import { checkPassword, hashPassword, randomToken, tokenHash } from './secrets.js';
import type { AccountRow, PendingAccountRequest } from './store.js';
import type { FrameworkRuntime } from './types.js';

/**
 * The provider's own web pages, for humans: the consent page an existing user signs in on to link their
 * account to the orchestrator, and the one-time deep links (claim an auto-created account by setting a
 * password — no lock-in — and a read-only dashboard).
 */

const LINK_TTL_MS = 24 * 60 * 60_000;
const MIN_PASSWORD_LENGTH = 10;

type Form = Record<string, string | undefined>;

export async function registerPages(app: FastifyInstance, rt: FrameworkRuntime, providerName: string) {
  acceptForms(app);
  app.get('/oauth/consent', async (request, reply) => {
    const pending = findPendingRequest(rt, (request.query as Form).request);
    if (!pending) return expiredPage(reply);
    return consentPage(reply, rt, providerName, pending, 200);
  });
  app.post('/oauth/consent', async (request, reply) => {
    const form = request.body as Form;
    const pending = findPendingRequest(rt, form.request);
    if (!pending || form.consent_token !== pending.consent_token) return expiredPage(reply);
    const target = new URL(pending.redirect_uri);
    target.searchParams.set('state', pending.state);
    if (form.decision === 'deny') {
      rt.store.settleAccountRequest(pending.id, 'denied');
      target.searchParams.set('error', 'access_denied');
      return reply.redirect(target.toString(), 303);
    }
    const account = rt.store.account(pending.account_id);
    if (!account || !checkPassword(form.password ?? '', account.password_hash)) {
      return consentPage(reply, rt, providerName, pending, 401, 'Wrong password.');
    }
    rt.store.settleAccountRequest(pending.id, 'approved');
    target.searchParams.set('code', issueCode(rt, account.id, pending.scopes, pending.code_challenge));
    return reply.redirect(target.toString(), 303);
  });
  app.get('/claim/:token', async (request, reply) => {
    const link = findLink(rt, (request.params as Form).token, 'claim_account');
    if (!link) return expiredPage(reply);
    return claimPage(reply, link.account, (request.params as Form).token ?? '', 200);
  });
  app.post('/claim/:token', async (request, reply) => {
    const token = (request.params as Form).token ?? '';
    const link = findLink(rt, token, 'claim_account');
    if (!link) return expiredPage(reply);
    const { password, confirm } = request.body as Form;
    if (!password || password.length < MIN_PASSWORD_LENGTH || password !== confirm) {
      const why = `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters and type it twice.`;
      return claimPage(reply, link.account, token, 400, why);
    }
    rt.store.transaction(() => {
      rt.store.claimAccount(link.account.id, hashPassword(password));
      rt.store.useLink(tokenHash(token), rt.now());
    });
    return sendPage(
      reply,
      200,
      'Account claimed',
      `<p>The ${escapeHtml(providerName)} account <strong>${escapeHtml(link.account.email)}</strong> is yours: sign in with its email and the password you chose.</p>`,
    );
  });
  app.get('/dashboard/:token', async (request, reply) => {
    const token = (request.params as Form).token ?? '';
    const link = findLink(rt, token, 'dashboard');
    if (!link) return expiredPage(reply);
    rt.store.useLink(tokenHash(token), rt.now());
    return dashboardPage(reply, rt, providerName, link.account);
  });
}

/** POST provisioning/deep_links: a one-time URL for the human behind the account token. */
export function createDeepLink(rt: FrameworkRuntime, account: AccountRow, body: unknown): DeepLink {
  const input = parseBody(DeepLinkRequest, body);
  if (input.purpose === 'claim_account' && account.password_hash) {
    throw new ProjectsError('INVALID_ARGUMENT', 'this account already has a password; sign in instead', {
      httpStatus: 409,
      details: { reason: 'already_claimed' },
    });
  }
  const token = randomToken('');
  const expiresAt = rt.now() + LINK_TTL_MS;
  rt.store.insertLink({
    token_hash: tokenHash(token),
    account_id: account.id,
    purpose: input.purpose,
    expires_at: expiresAt,
  });
  const path = input.purpose === 'claim_account' ? 'claim' : 'dashboard';
  return {
    purpose: input.purpose,
    url: `${rt.baseUrl()}${path}/${token}`,
    expires_at: new Date(expiresAt).toISOString(),
  };
}

function findPendingRequest(rt: FrameworkRuntime, id: string | undefined): PendingAccountRequest | undefined {
  if (!id) return undefined;
  const row = rt.store.accountRequest(id);
  return row && row.status === 'pending' && row.expires_at > rt.now() ? row : undefined;
}

function findLink(
  rt: FrameworkRuntime,
  token: string | undefined,
  purpose: DeepLink['purpose'],
): { account: AccountRow } | undefined {
  if (!token) return undefined;
  const row = rt.store.link(tokenHash(token), purpose);
  if (!row || row.used_at !== null || row.expires_at <= rt.now()) return undefined;
  const account = rt.store.account(row.account_id);
  return account ? { account } : undefined;
}

function expiredPage(reply: FastifyReply): FastifyReply {
  return sendPage(reply, 404, 'Link expired', '<p>This link is unknown, expired or already used.</p>');
}

function consentPage(
  reply: FastifyReply,
  rt: FrameworkRuntime,
  providerName: string,
  pending: PendingAccountRequest,
  status: number,
  error?: string,
): FastifyReply {
  const account = rt.store.account(pending.account_id);
  const scopes = JSON.parse(pending.scopes) as string[];
  const orchestrator = new URL(pending.redirect_uri).origin;
  const body = `
<p><strong>${escapeHtml(orchestrator)}</strong> asks to use your ${escapeHtml(providerName)} account
<strong>${escapeHtml(account?.email ?? '')}</strong> to create and manage resources on your behalf.</p>
<p>Requested access: ${scopes.length ? scopes.map((s) => `<code>${escapeHtml(s)}</code>`).join(', ') : '<code>default</code>'}</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="consent">
<input type="hidden" name="request" value="${escapeHtml(pending.id)}">
<input type="hidden" name="consent_token" value="${escapeHtml(pending.consent_token)}">
<label for="email">Email</label><input id="email" name="email" value="${escapeHtml(account?.email ?? '')}" readonly>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit" name="decision" value="allow">Sign in and allow</button>
<button type="submit" name="decision" value="deny" formnovalidate>Deny</button>
</form>`;
  return sendPage(reply, status, `Sign in to ${providerName}`, body, [orchestrator]);
}

function claimPage(reply: FastifyReply, account: AccountRow, token: string, status: number, error?: string) {
  const body = `
<p>This account was created for <strong>${escapeHtml(account.email)}</strong> by an orchestrator. Set a password to
claim it: you can then sign in directly, manage everything provisioned in it and leave with your data.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(token)}">
<label for="password">New password</label><input id="password" name="password" type="password" autocomplete="new-password">
<label for="confirm">Repeat it</label><input id="confirm" name="confirm" type="password" autocomplete="new-password">
<button type="submit">Claim account</button>
</form>`;
  return sendPage(reply, status, 'Claim your account', body);
}

function dashboardPage(reply: FastifyReply, rt: FrameworkRuntime, providerName: string, account: AccountRow) {
  const rows = rt.store.resourcesOfAccount(account.id);
  const items = rows
    .map(
      (row) =>
        `<li><code>${escapeHtml(row.id)}</code> ${escapeHtml(row.service_id)} — ${escapeHtml(row.status)}<br><code>${escapeHtml(row.details)}</code></li>`,
    )
    .join('');
  return sendPage(
    reply,
    200,
    `${providerName} — ${account.email}`,
    `<ul>${items || '<li>No resources yet.</li>'}</ul>`,
  );
}
