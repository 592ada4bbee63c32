import { AuditQuerySchema } from '../../../protocol/money.js';
import type { SandboxModule } from '../../context.js';
import { requireScope } from '../principal.js';
import { parseWith } from '../runs/validate.js';
import { AUDIT_MIGRATIONS } from '../storage/sqlite/migrations.js';
import { listAudit, verifyAuditChain } from './chain.js';

/** The audit log's table and its read API: the user's events, and a check of the whole chain. */
export function auditModule(): SandboxModule {
  return {
    name: 'orchestrator:audit',
    migrations: AUDIT_MIGRATIONS,
    prefix: '',
    async register(app, ctx) {
      app.get('/v1/audit', async (request) => {
        const principal = requireScope(request, 'read');
        const query = parseWith(AuditQuerySchema, request.query, 'audit query');
        return {
          events: await listAudit(ctx.storage, {
            userId: principal.userId,
            since: query.since,
            runId: query.run,
            limit: query.limit,
          }),
        };
      });
      app.get('/v1/audit/verify', async (request) => {
        requireScope(request, 'read');
        return verifyAuditChain(ctx.storage);
      });
    },
  };
}
