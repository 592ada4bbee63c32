import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ProjectsError } from '../../../protocol/errors.js';
import {
  type HealthResponse,
  PROTOCOL_VERSION,
  ResourceActionRequest,
  type Service,
} from '../../../protocol/provider.js';
import type { SandboxContext, SandboxModule } from '../../context.js';
import { authenticateAccount, handleAccountRequest, handleTokenRequest, seedAccounts } from './accounts.js';
import { parseBody } from './http.js';
import { createDeepLink, registerPages } from './pages.js';
import { ResourceService } from './resources.js';
import { randomToken, tokenHash } from './secrets.js';
import { databaseReplayGuard, keepRawJsonBodies, requireSignature } from './signature.js';
import { frameworkMigrations, loadResource, toRecord } from './store.js';
import type { ProviderDefinition, ProviderOptions, ProviderRuntime, ResourceRecord } from './types.js';

export type {
  ProviderDefinition,
  ProviderOptions,
  ProviderRuntime,
  QuoteTerms,
  ResourceRecord,
  SeedAccount,
  ServiceDefinition,
} from './types.js';
export { freeTerms } from './types.js';

/**
 * Builds a sandbox module for one provider from its definition: the signed provisioning API under
 * `/providers/<id>/`, account linking with the provider's own consent page, deep links, and the
 * definition's own credential-authorized routes. This is what a platform would mount to become a provider.
 */
export function createProviderModule(
  definition: ProviderDefinition,
  options: ProviderOptions,
): SandboxModule {
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(options.id)) throw new Error(`invalid provider id '${options.id}'`);
  if (options.signingSecret.length < 16)
    throw new Error('provider signing secret must be at least 16 characters');
  const table = providerTable(options.id);
  return {
    name: `provider:${options.id}`,
    prefix: `/providers/${options.id}`,
    // The framework's migrations come first; a provider's own follow (their indexes shift only if the framework
    // gains a migration, which must then be appended after the provider's).
    migrations: [...frameworkMigrations(table), ...(definition.migrations?.(table) ?? [])],
    async register(app, ctx) {
      const resources: { current?: ResourceService } = {};
      const rt = createRuntime(options, ctx, table, () => resources.current!);
      const service = new ResourceService(rt, definition.services, options.signingSecret);
      resources.current = service;
      seedAccounts(rt, definition.seedAccounts);
      definition.attach?.(rt);
      app.setNotFoundHandler((request, reply) =>
        reply
          .status(404)
          .send(new ProjectsError('NOT_FOUND', `no route ${request.method} ${request.url}`).toBody()),
      );
      await app.register(async (signed) => registerProtocol(signed, rt, definition, options, service));
      await app.register(async (pages) => registerPages(pages, rt, definition.name));
      if (definition.routes) {
        const routes = definition.routes;
        await app.register(async (extra) => routes(extra, rt));
      }
    },
  };
}

/** `prov_<id>_<name>`: every provider's tables live side by side in the one sandbox database. */
function providerTable(providerId: string): (name: string) => string {
  const prefix = `prov_${providerId.replaceAll('-', '_')}`;
  return (name) => `${prefix}_${name}`;
}

function createRuntime(
  options: ProviderOptions,
  ctx: SandboxContext,
  table: (name: string) => string,
  resources: () => ResourceService,
): ProviderRuntime {
  const rt: ProviderRuntime = {
    id: options.id,
    db: ctx.db,
    ctx,
    table,
    baseUrl: () => `${ctx.baseUrl()}/providers/${options.id}/`,
    orchestratorUrl: () => (options.orchestratorUrl ?? ctx.baseUrl()).replace(/\/$/, ''),
    now: () => ctx.now(),
    issueCredential(resourceId, kind, prefix) {
      const token = randomToken(prefix);
      ctx.db
        .prepare(
          `INSERT INTO ${table('credentials')} (token_hash, resource_id, kind, created_at) VALUES (?, ?, ?, ?)`,
        )
        .run(tokenHash(token), resourceId, kind, ctx.now());
      return token;
    },
    verifyCredential(token, kind) {
      return findByCredential(rt, token, kind);
    },
    revokeCredentials(resourceId) {
      ctx.db.prepare(`DELETE FROM ${table('credentials')} WHERE resource_id = ?`).run(resourceId);
    },
    createCompanion: (accountId, serviceId, configuration) =>
      resources().createCompanion(accountId, serviceId, configuration),
    resource(id) {
      const row = loadResource(ctx.db, table, id);
      return row ? toRecord(row) : undefined;
    },
    removeResource: (id) => resources().removeById(id),
  };
  return rt;
}

function findByCredential(rt: ProviderRuntime, token: string, kind: string): ResourceRecord | undefined {
  const row = rt.db
    .prepare(`SELECT resource_id FROM ${rt.table('credentials')} WHERE token_hash = ? AND kind = ?`)
    .get(tokenHash(token), kind) as { resource_id: string } | undefined;
  const resource = row ? rt.resource(row.resource_id) : undefined;
  return resource?.status === 'active' ? resource : undefined;
}

async function registerProtocol(
  app: FastifyInstance,
  rt: ProviderRuntime,
  definition: ProviderDefinition,
  options: ProviderOptions,
  resources: ResourceService,
): Promise<void> {
  keepRawJsonBodies(app);
  requireSignature(app, options.signingSecret, databaseReplayGuard(rt), rt.now);
  const catalog = definition.services.map(
    (service): Service => ({
      ...service.catalog,
      configuration_schema: z.toJSONSchema(service.configuration, { io: 'input' }) as Record<string, unknown>,
    }),
  );
  const health: HealthResponse = {
    status: 'ok',
    provider: { id: options.id, name: definition.name },
    protocol_version: PROTOCOL_VERSION,
  };
  type WithId = { Params: { id: string } };
  app.get('/provisioning/health', async () => health);
  app.get('/provisioning/services', async () => ({ services: catalog }));
  app.post('/provisioning/quotes', async (request) => resources.quote(request.body));
  app.post('/provisioning/account_requests', async (request) => handleAccountRequest(rt, request.body));
  app.post('/oauth/token', async (request) => handleTokenRequest(rt, request.body));
  app.post('/provisioning/resources', async (request) =>
    resources.create(authenticateAccount(rt, request), request.body),
  );
  app.get<WithId>('/provisioning/resources/:id', async (request) =>
    resources.get(authenticateAccount(rt, request), request.params.id),
  );
  app.post<WithId>('/provisioning/resources/:id/update_service', async (request) =>
    resources.update(authenticateAccount(rt, request), request.params.id, request.body),
  );
  app.post<WithId>('/provisioning/resources/:id/rotate_credentials', async (request) => {
    const account = authenticateAccount(rt, request);
    parseBody(ResourceActionRequest, request.body);
    return resources.rotate(account, request.params.id);
  });
  app.post<WithId>('/provisioning/resources/:id/remove', async (request) => {
    const account = authenticateAccount(rt, request);
    parseBody(ResourceActionRequest, request.body);
    return resources.remove(account, request.params.id);
  });
  app.post('/provisioning/deep_links', async (request) =>
    createDeepLink(rt, authenticateAccount(rt, request), request.body),
  );
}
