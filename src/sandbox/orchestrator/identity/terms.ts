import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProjectsError } from '../../../protocol/errors.js';
import type { SandboxContext } from '../../context.js';
import { csrfField, html } from '../web/html.js';
import { auditIdentity } from './audit.js';
import { type IdentityStore, identityStore } from './store.js';
import { csrfToken, requireWebSession, sendPage } from './web-session.js';

/** The orchestrator's own terms. Bump the version when the text changes: everyone accepts again. */
export const ORCHESTRATOR_TERMS = {
  party: 'orchestrator',
  name: 'Projects sandbox orchestrator',
  version: '2026-12-01',
};

/** A provider's current terms as the provider registry knows them. */
export interface ProviderTerms {
  name: string;
  termsVersion: string;
}

/** Looks a provider up in the orchestrator's provider registry (injected: the registry is another module's). */
export type ProviderTermsLookup = (
  ctx: SandboxContext,
  providerId: string,
) => Promise<ProviderTerms | undefined>;

/** How a provider's terms are named in acceptance records (the party). */
export function providerTermsParty(providerId: string): string {
  return `provider:${providerId}`;
}

export type TermsOf = 'orchestrator' | { providerId: string; version: string };

/**
 * Throws TOS_REQUIRED (with the page's URL) unless the user accepted the current version of these terms:
 * the orchestrator's own, or a provider's at the version its registry entry names.
 */
export async function requireTermsAccepted(
  ctx: Pick<SandboxContext, 'storage' | 'baseUrl'>,
  userId: string,
  terms: TermsOf,
): Promise<void> {
  const [party, version, path, whose] =
    terms === 'orchestrator'
      ? [ORCHESTRATOR_TERMS.party, ORCHESTRATOR_TERMS.version, '/terms', 'the orchestrator']
      : [
          providerTermsParty(terms.providerId),
          terms.version,
          `/terms/${encodeURIComponent(terms.providerId)}`,
          `provider ${terms.providerId}`,
        ];
  if ((await identityStore(ctx.storage).termsAcceptedAt(userId, party, version)) !== undefined) return;
  const url = `${ctx.baseUrl()}${path}`;
  // Whose terms, in words: the human at a terminal sees only this message and the page's URL.
  throw new ProjectsError(
    'TOS_REQUIRED',
    `accept the terms of service of ${whose} (version ${version}) first`,
    {
      httpStatus: 403,
      details: { url, party, version },
      next: [{ command: `open ${url}`, why: 'a human reads and accepts the terms in the browser' }],
    },
  );
}

const ORCHESTRATOR_TEXT = html`<p>The sandbox orchestrator runs on your machine. It keeps your login, your terms
  acceptances, a tokenized test card and your spending limits, and it buys from providers only within the caps
  you set and the approvals you give. Test cards are never charged.</p>`;

function providerText(name: string) {
  return html`<p>${name} is a reference provider of the sandbox. Accounts it creates for you can be claimed
    and exported at any time; resources you buy from it are paid with single-use payment tokens issued by the
    orchestrator, never with your card details.</p>`;
}

interface TermsPage {
  party: string;
  name: string;
  version: string;
  path: string;
  text: ReturnType<typeof html>;
}

/** `/terms` and `/terms/<providerId>`: read, and accept a specific version (recorded per user and version). */
export function registerTerms(
  app: FastifyInstance,
  ctx: SandboxContext,
  store: IdentityStore,
  providerTerms: ProviderTermsLookup,
): void {
  async function termsFor(providerId: string | undefined): Promise<TermsPage> {
    if (providerId === undefined) return { ...ORCHESTRATOR_TERMS, path: '/terms', text: ORCHESTRATOR_TEXT };
    const provider = await providerTerms(ctx, providerId);
    if (!provider)
      throw new ProjectsError('NOT_FOUND', `no provider '${providerId}' is registered`, { httpStatus: 404 });
    return {
      party: providerTermsParty(providerId),
      name: provider.name,
      version: provider.termsVersion,
      path: `/terms/${encodeURIComponent(providerId)}`,
      text: providerText(provider.name),
    };
  }

  async function show(request: FastifyRequest, reply: FastifyReply, terms: TermsPage, notice?: string) {
    const session = requireWebSession(request, reply);
    if (!session) return reply;
    const acceptedAt = await store.termsAcceptedAt(session.user.id, terms.party, terms.version);
    const action = acceptedAt
      ? html`<p class="ok" role="status">You accepted version ${terms.version} on ${new Date(acceptedAt).toISOString()}.</p>`
      : html`<form method="post" action="${terms.path}">
          ${csrfField(csrfToken(request, reply))}
          <input type="hidden" name="version" value="${terms.version}">
          <button type="submit" id="accept">I accept version ${terms.version}</button>
        </form>`;
    return sendPage(request, reply, {
      title: `Terms of service — ${terms.name}`,
      status: notice ? 409 : 200,
      body: html`${notice ? html`<p class="error" role="alert">${notice}</p>` : ''}
        <p class="muted">Version <span id="terms-version">${terms.version}</span></p>${terms.text}${action}`,
    });
  }

  async function accept(
    request: FastifyRequest<{ Body: { version?: string } }>,
    reply: FastifyReply,
    terms: TermsPage,
  ) {
    const session = requireWebSession(request, reply);
    if (!session) return reply;
    // The version accepted must be the one the human read; if the terms changed meanwhile, show them again.
    if (request.body?.version !== terms.version)
      return show(request, reply, terms, 'These terms changed; read them again.');
    await store.acceptTerms(session.user.id, terms.party, terms.version, ctx.now());
    await auditIdentity(ctx, {
      user: session.user,
      action: 'terms.accept',
      subject: `${terms.party}@${terms.version}`,
    });
    return reply.redirect(terms.path, 303);
  }

  app.get('/terms', async (request, reply) => show(request, reply, await termsFor(undefined)));
  app.post<{ Body: { version?: string } }>('/terms', async (request, reply) =>
    accept(request, reply, await termsFor(undefined)),
  );
  app.get<{ Params: { providerId: string } }>('/terms/:providerId', async (request, reply) =>
    show(request, reply, await termsFor(request.params.providerId)),
  );
  app.post<{ Params: { providerId: string }; Body: { version?: string } }>(
    '/terms/:providerId',
    async (request, reply) => accept(request, reply, await termsFor(request.params.providerId)),
  );
}
