import { canonicalHash } from '../../../core/canonical-json.js';
import { ProjectsError } from '../../../protocol/errors.js';
import {
  type PublishGrant,
  type PublishGrantRequest,
  PublishGrantRequestSchema,
} from '../../../protocol/orchestrator.js';
import { mintPublishGrant } from '../../../protocol/publish-grant.js';
import type { Principal } from '../../../protocol/scopes.js';
import type { SandboxContext, SandboxModule } from '../../context.js';
import type { SandboxProvider } from '../../provider-secrets.js';
import { appendAudit } from '../audit/chain.js';
import { requireScope } from '../principal.js';
import { gateOnApproval } from '../runs/index.js';
import { ProjectStore } from '../runs/projects.js';

/**
 * The production gate of deployments (DESIGN.md §3): `POST /v1/projects/:id/publish-grants` answers a
 * publish grant — which the provider requires before it moves a site's production alias — when the
 * credential is a token carrying `deploy:production` (policy pre-authorized it, e.g. CI), or when a human
 * approved this exact publication (an `apr_…` of kind `deploy_production`, typed confirmation: the
 * deployment id). A human's own login is not enough by itself: an agent in the same shell holds it too.
 */

function parseBody(body: unknown): PublishGrantRequest {
  const parsed = PublishGrantRequestSchema.safeParse(body ?? {});
  if (!parsed.success) {
    throw new ProjectsError('INVALID_ARGUMENT', 'the request body is invalid', {
      httpStatus: 400,
      details: { issues: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) },
    });
  }
  return parsed.data;
}

/** Who may publish, and on whose word. Throws APPROVAL_REQUIRED (exit 4) while a human has not decided. */
async function authorize(
  ctx: SandboxContext,
  principal: Principal,
  projectId: string,
  body: PublishGrantRequest,
): Promise<Pick<PublishGrant, 'authorized_by' | 'approval_id'>> {
  if (principal.kind === 'token' && principal.scopes.includes('deploy:production')) {
    return { authorized_by: 'scope', approval_id: null };
  }
  const plan = {
    project: projectId,
    provider: body.provider,
    site: body.site_id,
    deployment: body.deployment_id,
  };
  const approval = await gateOnApproval(
    ctx,
    {
      userId: principal.userId,
      kind: 'deploy_production',
      title: `Publish ${body.deployment_id} to production (${body.provider} site ${body.site_id})`,
      planHash: canonicalHash(plan),
      projectId,
      provider: body.provider,
      service: 'hosting:site',
      billing: 'free',
      refundable: true,
      confirmation: body.deployment_id,
    },
    ['production deploys need a human approval or a token with the deploy:production scope'],
    `publish:${body.deployment_id}`,
  );
  return { authorized_by: 'approval', approval_id: approval.id };
}

export function publishModule(options: { providers: readonly SandboxProvider[] }): SandboxModule {
  return {
    name: 'orchestrator:publish',
    prefix: '',
    migrations: [],
    async register(app, ctx) {
      const projects = new ProjectStore(ctx.storage);
      app.post<{ Params: { id: string } }>('/v1/projects/:id/publish-grants', async (request, reply) => {
        const principal = requireScope(request, 'deploy:preview');
        const body = parseBody(request.body);
        const project = await projects.get(principal.userId, request.params.id);
        const provider = options.providers.find((candidate) => candidate.id === body.provider);
        const site = await ctx.storage.transaction((tx) =>
          tx.resources.findByProviderResource(principal.userId, body.provider, body.site_id),
        );
        const owned = site?.project_id === project.id && site.status === 'active';
        if (!provider || !owned) {
          throw new ProjectsError(
            'NOT_FOUND',
            `no site ${body.site_id} at ${body.provider} in this project`,
            {
              httpStatus: 404,
            },
          );
        }
        const audit = {
          userId: principal.userId,
          actor: principal.actor,
          projectId: project.id,
          now: ctx.now(),
        };
        let authorized: Pick<PublishGrant, 'authorized_by' | 'approval_id'>;
        try {
          authorized = await authorize(ctx, principal, project.id, body);
        } catch (error) {
          const result = error instanceof ProjectsError ? error.code : 'INTERNAL';
          await appendAudit(ctx.storage, {
            ...audit,
            action: 'deploy.publish',
            subject: body.deployment_id,
            result,
          });
          throw error;
        }
        const { grant, expiresAt } = mintPublishGrant(
          provider.signingSecret,
          { site: body.site_id, deployment: body.deployment_id },
          ctx.now(),
        );
        await appendAudit(ctx.storage, {
          ...audit,
          action: 'deploy.publish',
          subject: body.deployment_id,
          result: 'ok',
          details: { site: body.site_id, provider: body.provider, ...authorized },
        });
        const answer: PublishGrant = { grant, expires_at: expiresAt.toISOString(), ...authorized };
        return reply.status(201).send(answer);
      });
    },
  };
}
