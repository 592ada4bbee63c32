import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatMoney } from '../../../core/money.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { Approval } from '../../../protocol/orchestrator.js';
import type { SandboxContext } from '../../context.js';
import { csrfToken, requireWebSession, sendPage, verifyCsrf } from '../identity/web-session.js';
import { csrfField, type Html, html, layout } from '../web/html.js';
import type { Accounts } from './accounts.js';
import { decideApproval, getApproval, listApprovals } from './approvals.js';
import type { ProviderRegistry } from './registry.js';

/**
 * The human side of the gates, server-rendered: the approvals list, one approval in full (what, price,
 * refundability, warnings, and for names the one asked and the one offered side by side) with approve
 * and deny forms, and the landing page of a provider's consent redirect.
 */
export function registerPages(
  app: FastifyInstance,
  ctx: SandboxContext,
  registry: ProviderRegistry,
  accounts: Accounts,
): void {
  app.get('/approvals', async (request, reply) => {
    const session = requireWebSession(request, reply);
    if (!session) return reply;
    const approvals = await listApprovals(ctx, session.user.id);
    return sendPage(request, reply, { title: 'Approvals', body: approvalList(approvals) });
  });

  app.get<{ Params: { id: string } }>('/approvals/:id', async (request, reply) => {
    const session = requireWebSession(request, reply);
    if (!session) return reply;
    const approval = await getApproval(ctx, session.user.id, request.params.id);
    return renderDetail(request, reply, approval);
  });

  for (const decision of ['approve', 'deny'] as const) {
    app.post<{ Params: { id: string }; Body: Record<string, string> }>(
      `/approvals/:id/${decision}`,
      async (request, reply) => {
        const session = requireWebSession(request, reply);
        if (!session) return reply;
        verifyCsrf(request);
        const { id } = request.params;
        try {
          await decideApproval(ctx, session.user.id, id, {
            decision: decision === 'approve' ? 'approved' : 'denied',
            actor: `human:${session.user.email}`,
            via: 'web',
            confirmation: request.body?.confirmation,
            reason: request.body?.reason || undefined,
          });
        } catch (error) {
          if (!(error instanceof ProjectsError) || error.code === 'NOT_FOUND') throw error;
          return renderDetail(
            request,
            reply,
            await getApproval(ctx, session.user.id, id),
            error.message,
            422,
          );
        }
        return reply.redirect(`/approvals/${encodeURIComponent(id)}`, 303);
      },
    );
  }

  // Under /providers/, where the identity hook does not run: the page needs no session (the single-use
  // `state` names the user and the link) and so is sent without the session-aware page helper.
  app.get<{ Params: { provider: string }; Querystring: Record<string, string | undefined> }>(
    '/providers/callback/:provider',
    async (request, reply) => {
      const provider = await registry.get(request.params.provider);
      const { code, state, error } = request.query;
      if (error || !code || !state) {
        if (state) await accounts.cancel(provider, state);
        const body = html`<p class="error" id="result">${provider.name} did not link the account
          (${error ?? 'no code'}). Run the command again to retry.</p>`;
        return sendBarePage(reply, 'Account not linked', body, 400);
      }
      await accounts.complete(provider, code, state);
      const body = html`<p class="ok" id="result">Your ${provider.name} account is linked.</p>
        <p>Go back to your terminal and run the same command again.</p>`;
      return sendBarePage(reply, 'Account linked', body, 200);
    },
  );
}

function sendBarePage(reply: FastifyReply, title: string, body: Html, status: number): FastifyReply {
  return reply
    .status(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(layout({ title }, body).value);
}

function renderDetail(
  request: FastifyRequest,
  reply: FastifyReply,
  approval: Approval,
  error?: string,
  status?: number,
): FastifyReply {
  const csrf = csrfToken(request, reply);
  const body = html`${error ? html`<p class="error" id="error">${error}</p>` : ''}
    ${approvalFacts(approval)}
    ${approval.status === 'pending' ? decisionForms(approval, csrf) : decisionRecord(approval)}`;
  return sendPage(request, reply, { title: approval.title, body, ...(status ? { status } : {}) });
}

function approvalList(approvals: Approval[]): Html {
  if (approvals.length === 0) return html`<p class="muted" id="empty">Nothing is waiting for you.</p>`;
  const rows = approvals.map(
    (approval) => html`<tr data-status="${approval.status}">
      <td><a href="/approvals/${approval.id}">${approval.title}</a></td>
      <td>${price(approval)}</td><td class="status">${approval.status}</td></tr>`,
  );
  return html`<table id="approvals"><tr><th>What</th><th>Price</th><th>Status</th></tr>${rows}</table>`;
}

function approvalFacts(approval: Approval): Html {
  const warnings = approval.warnings.map((warning) => html`<li>${warning}</li>`);
  return html`<table id="facts">
    <tr><th>Status</th><td id="status">${approval.status}</td></tr>
    ${approval.provider ? html`<tr><th>Provider</th><td>${approval.provider} · ${approval.service}</td></tr>` : ''}
    <tr><th>Price</th><td id="price">${price(approval)}</td></tr>
    <tr><th>Refundable</th><td id="refundable">${approval.refundable ? 'yes' : 'no — this cannot be undone'}</td></tr>
    <tr><th>Expires</th><td>${approval.expires_at}</td></tr>
  </table>
  ${approval.name_asked || approval.name_offered ? names(approval) : ''}
  ${warnings.length ? html`<h2>Warnings</h2><ul id="warnings">${warnings}</ul>` : ''}`;
}

/** The S1 view: what the human asked for and what would be bought, side by side. */
function names(approval: Approval): Html {
  const same = approval.name_asked === approval.name_offered;
  return html`<h2>Name</h2><table id="names"><tr><th>You asked for</th><th>You would get</th></tr>
    <tr><td id="name-asked"><code>${approval.name_asked ?? '—'}</code></td>
    <td id="name-offered"><code>${approval.name_offered ?? '—'}</code></td></tr></table>
    ${same ? '' : html`<p class="error" id="names-differ">These names are different. Check every character.</p>`}`;
}

function decisionForms(approval: Approval, csrf: string): Html {
  const confirmation = approval.confirmation
    ? html`<label for="confirmation">Type <code>${approval.confirmation}</code> exactly to approve</label>
      <input id="confirmation" name="confirmation" autocomplete="off" spellcheck="false" required>`
    : '';
  return html`<form method="post" action="/approvals/${approval.id}/approve" id="approve-form">
      ${csrfField(csrf)}${confirmation}<button type="submit" id="approve">Approve</button></form>
    <form method="post" action="/approvals/${approval.id}/deny" id="deny-form">
      ${csrfField(csrf)}<label for="reason">Reason (optional)</label><input id="reason" name="reason">
      <button type="submit" id="deny">Deny</button></form>`;
}

function decisionRecord(approval: Approval): Html {
  if (!approval.decided_at) return html`<p class="muted" id="decision">Nobody decided before it expired.</p>`;
  return html`<p id="decision">${approval.status} by ${approval.decided_by} via ${approval.decided_via}
    at ${approval.decided_at}${approval.reason ? html` — “${approval.reason}”` : ''}</p>`;
}

function price(approval: Approval): string {
  if (!approval.price) return '—';
  const amount = formatMoney(approval.price.amount, approval.price.currency);
  return approval.billing === 'recurring' ? `${amount} (recurring)` : amount;
}
