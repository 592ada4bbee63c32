import type { FastifyInstance } from 'fastify';
import { ApprovalListQuerySchema, DecideApprovalRequestSchema } from '../../../protocol/orchestrator.js';
import type { SandboxContext } from '../../context.js';
import { requireScope } from '../principal.js';
import { assertHuman } from './access.js';
import { decideApproval, getApproval, listApprovals } from './approvals.js';
import { parseWith } from './validate.js';

/** The JSON API for approvals: list and show with `read`; decide only as a human with `approve`. */
export function registerApprovalRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.get('/v1/approvals', async (request) => {
    const principal = requireScope(request, 'read');
    const query = parseWith(ApprovalListQuerySchema, request.query, 'query');
    return { approvals: await listApprovals(ctx, principal.userId, { status: query.status }) };
  });

  app.get<{ Params: { id: string } }>('/v1/approvals/:id', async (request) => {
    const principal = requireScope(request, 'read');
    return getApproval(ctx, principal.userId, request.params.id);
  });

  for (const decision of ['approve', 'deny'] as const) {
    app.post<{ Params: { id: string } }>(`/v1/approvals/:id/${decision}`, async (request) => {
      const principal = requireScope(request, 'approve');
      assertHuman(principal);
      const body = parseWith(DecideApprovalRequestSchema, request.body ?? {}, 'body');
      return decideApproval(ctx, principal.userId, request.params.id, {
        decision: decision === 'approve' ? 'approved' : 'denied',
        actor: principal.actor,
        via: 'cli',
        confirmation: body.confirmation,
        reason: body.reason,
      });
    });
  }
}
