import { canonicalHash } from '../../../core/canonical-json.js';
import { describeDuration } from '../../../core/duration.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { CreateApiTokenRequest } from '../../../protocol/oauth.js';
import type { Principal, Scope } from '../../../protocol/scopes.js';
import type { SandboxContext } from '../../context.js';
import { gateOnApproval, listApprovals } from '../runs/approvals.js';

/**
 * Creating an API token is a human gate (DESIGN.md §3, issue 5): every `POST /v1/tokens` passes an approval
 * (`apr_…`, kind `token_create`) bound to exactly the token asked for — name, scopes, lifetime. A human's
 * login alone is not enough, since an agent in the same shell holds it too: a human decides the approval
 * in the web page, or at a terminal with the token's name typed (`projects token create` and
 * `projects approve` do that through `POST /v1/approvals/:id/approve`). One approval mints one token.
 */
const TOKEN_APPROVAL_KIND = 'token_create';

/** What a human must know before handing a credential to an agent or CI, beyond its name. */
const SCOPE_WARNINGS: Partial<Record<Scope, string>> = {
  'provision:paid':
    'provision:paid — it can buy paid services (domains, plans) up to your spend limits without asking.',
  'deploy:production': 'deploy:production — it can publish to production without an approval.',
};

function tokenPlan(principal: Principal, request: CreateApiTokenRequest) {
  return {
    userId: principal.userId,
    kind: TOKEN_APPROVAL_KIND,
    title: `Create API token '${request.name}' (${request.scopes.join(', ')}), valid ${describeDuration(request.expires_in)}`,
    planHash: canonicalHash({
      kind: TOKEN_APPROVAL_KIND,
      user: principal.userId,
      name: request.name,
      scopes: [...request.scopes].sort(),
      expires_in: request.expires_in,
    }),
    refundable: true,
    confirmation: request.name,
    warnings: [
      ...request.scopes.flatMap((scope) => SCOPE_WARNINGS[scope] ?? []),
      'Whoever holds the token acts as you within these scopes until it expires or is revoked (projects token revoke).',
    ],
  };
}

/**
 * Passes the gate for `tokenId`, consuming the approval in the same transaction (so one approval can
 * never mint two tokens, even for concurrent reruns), or throws APPROVAL_REQUIRED / APPROVAL_DENIED.
 * Returns the approval's id, for the audit log.
 */
export async function passTokenGate(
  ctx: SandboxContext,
  principal: Principal,
  request: CreateApiTokenRequest,
  tokenId: string,
): Promise<string> {
  const plan = tokenPlan(principal, request);
  try {
    return (await gateOnApproval(ctx, plan, [plan.title], `api_token:${tokenId}`)).id;
  } catch (error) {
    throw await explainUsedApproval(ctx, principal.userId, plan.planHash, error);
  }
}

/**
 * A rerun after the token was minted finds its approval used up and gets a new pending one: say so, or
 * the human would wonder why the same request asks again.
 */
async function explainUsedApproval(
  ctx: SandboxContext,
  userId: string,
  planHash: string,
  error: unknown,
): Promise<unknown> {
  if (!(error instanceof ProjectsError) || error.code !== 'APPROVAL_REQUIRED') return error;
  // gateOnApproval hands out an approved approval of this plan unless it is consumed: any approved one left is.
  const used = (await listApprovals(ctx, userId, { status: 'approved' })).find(
    (approval) => approval.plan_hash === planHash && approval.id !== error.details?.approval_id,
  );
  if (!used) return error;
  return new ProjectsError(
    error.code,
    `${used.id} was already used to create this token (approved ${used.decided_at}); one approval creates one token, so another needs a new approval`,
    {
      details: { ...error.details, used_approval_id: used.id },
      next: error.next,
      ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
    },
  );
}
