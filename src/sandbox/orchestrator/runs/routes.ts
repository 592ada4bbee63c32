import type { FastifyInstance } from 'fastify';
import {
  CatalogQuerySchema,
  CreateProjectRequestSchema,
  type ProjectStatus,
  ProvisionRequestSchema,
} from '../../../protocol/orchestrator.js';
import type { SandboxContext } from '../../context.js';
import { requireTermsAccepted } from '../identity/terms.js';
import { requireScope } from '../principal.js';
import { listApprovals } from './approvals.js';
import type { Catalog } from './catalog.js';
import type { ProjectStore } from './projects.js';
import type { Provisioner } from './provision.js';
import type { ResourceActions } from './resource-actions.js';
import type { ResourceStore } from './resources.js';
import { parseWith } from './validate.js';

export interface RouteDeps {
  ctx: SandboxContext;
  catalog: Catalog;
  projects: ProjectStore;
  resources: ResourceStore;
  provisioner: Provisioner;
  actions: ResourceActions;
}

/** Catalog discovery is public: it lists what can be bought, nothing about anyone. */
export function registerCatalogRoutes(app: FastifyInstance, { catalog }: RouteDeps): void {
  app.get('/v1/catalog', async (request) => {
    const query = parseWith(CatalogQuerySchema, request.query, 'query');
    return catalog.search(query, isTrue(query.refresh));
  });

  app.get<{ Params: { provider: string; service: string } }>(
    '/v1/catalog/:provider/:service',
    async (request) => {
      const query = parseWith(CatalogQuerySchema, request.query, 'query');
      return catalog.service(request.params.provider, request.params.service, isTrue(query.refresh));
    },
  );
}

export function registerProjectRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { ctx, projects, resources } = deps;
  app.post('/v1/projects', async (request, reply) => {
    const principal = requireScope(request, 'provision:free');
    const body = parseWith(CreateProjectRequestSchema, request.body, 'body');
    // A project is where the orchestrator starts acting for the user: they accept its terms first (a human gate).
    await requireTermsAccepted(ctx, principal.userId, 'orchestrator');
    return reply.status(201).send(await projects.create(principal.userId, body.name, new Date(ctx.now())));
  });

  app.get<{ Params: { id: string } }>('/v1/projects/:id', async (request): Promise<ProjectStatus> => {
    const principal = requireScope(request, 'read');
    const project = await projects.get(principal.userId, request.params.id);
    const owned = await resources.listByProject(project.id);
    return {
      project,
      resources: owned,
      pending_approvals: await listApprovals(ctx, principal.userId, {
        status: 'pending',
        projectId: project.id,
      }),
      spend: { this_month: monthSpend(owned, ctx.now()) },
    };
  });

  app.get<{ Params: { id: string } }>('/v1/projects/:id/resources', async (request) => {
    const principal = requireScope(request, 'read');
    const project = await projects.get(principal.userId, request.params.id);
    return { resources: await resources.listByProject(project.id) };
  });
}

export function registerProvisionRoutes(app: FastifyInstance, { provisioner, actions }: RouteDeps): void {
  app.post<{ Params: { id: string } }>('/v1/projects/:id/provision', async (request, reply) => {
    const principal = requireScope(request, 'read');
    const body = parseWith(ProvisionRequestSchema, request.body, 'body');
    const answer = await provisioner.provision(principal, request.params.id, body, reply);
    return reply.status(answer.replayed ? 200 : 201).send(answer);
  });

  app.post<{ Params: { id: string } }>('/v1/resources/:id/rotate', async (request) => {
    const principal = requireScope(request, 'provision:free');
    return actions.rotate(principal, request.params.id);
  });

  app.post<{ Params: { id: string } }>('/v1/resources/:id/remove', async (request) => {
    const principal = requireScope(request, 'provision:free');
    return { resource: await actions.remove(principal, request.params.id) };
  });
}

function isTrue(flag: string | undefined): boolean {
  return flag === 'true' || flag === '1';
}

/** What this project's purchases cost this calendar month (UTC). Caps and the ledger are `projects budget`. */
function monthSpend(
  resources: { price: { amount: number; currency: string } | null; created_at: string }[],
  now: number,
) {
  const month = new Date(now).toISOString().slice(0, 7);
  const amount = resources
    .filter((resource) => resource.price && resource.created_at.startsWith(month))
    .reduce((sum, resource) => sum + (resource.price?.amount ?? 0), 0);
  return { amount, currency: 'usd' };
}
