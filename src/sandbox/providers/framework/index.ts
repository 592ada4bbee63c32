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
import { FrameworkStore, frameworkMigrations, providerStorage, providerTable, toRecord } from './store.js';
import type { FrameworkRuntime, ProviderDefinition, ProviderOptions } from './types.js';

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

function createRuntime(
  options: ProviderOptions,
  ctx: SandboxContext,
  table: (name: string) => string,
  resources: () => ResourceService,
): FrameworkRuntime {
  const storage = providerStorage(ctx, table);
  const store = new FrameworkStore(storage);
  return {
    id: options.id,
    storage,
    store,
    baseUrl: () => `${ctx.baseUrl()}/providers/${options.id}/`,
    orchestratorUrl: () => (options.orchestratorUrl ?? ctx.baseUrl()).replace(/\/$/, ''),
    now: () => ctx.now(),
    issueCredential(resourceId, kind, prefix) {
      const token = randomToken(prefix);
      store.insertCredential(tokenHash(token), resourceId, kind, ctx.now());
      return token;
    },
    verifyCredential(token, kind) {
      const resourceId = store.credentialResourceId(tokenHash(token), kind);
      const row = resourceId ? store.resource(resourceId) : undefined;
      return row?.status === 'active' ? toRecord(row) : undefined;
    },
    revokeCredentials: (resourceId) => store.revokeCredentials(resourceId),
    createCompanion: (accountId, serviceId, configuration) =>
      resources().createCompanion(accountId, serviceId, configuration),
    resource(id) {
      const row = store.resource(id);
      return row ? toRecord(row) : undefined;
    },
    removeResource: (id) => resources().removeById(id),
  };
}

async function registerProtocol(
  app: FastifyInstance,
  rt: FrameworkRuntime,
  definition: ProviderDefinition,
  options: ProviderOptions,
  resources: ResourceService,
): Promise<void> {
  keepRawJsonBodies(app);
  requireSignature(app, options.signingSecret, databaseReplayGuard(rt.store, rt.now), rt.now);
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
