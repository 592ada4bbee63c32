import type { SandboxModule } from '../../context.js';
import { acceptForms } from '../identity/web-session.js';
import { RUNS_MIGRATIONS } from '../storage/sqlite/migrations.js';
import { oneUnitPerCall } from '../storage/unit-of-work.js';
import { ACCOUNT_TOKENS, Accounts, LINK_VERIFIERS } from './accounts.js';
import { registerApprovalRoutes } from './approval-routes.js';
import { Catalog } from './catalog.js';
import { registerPages } from './pages.js';
import { ProjectStore } from './projects.js';
import { ProviderCalls } from './provider-calls.js';
import { Provisioner } from './provision.js';
import { QuoteStore } from './quotes.js';
import { type ProviderRegistration, ProviderRegistry, REGISTERED_SIGNING_SECRETS } from './registry.js';
import { ResourceActions } from './resource-actions.js';
import { RESOURCE_CREDENTIALS, ResourceStore } from './resources.js';
import { registerCatalogRoutes, registerProjectRoutes, registerProvisionRoutes } from './routes.js';

export { type ApprovalInput, createApproval, gateOnApproval, onApprovalDecided } from './approvals.js';
export type { ProviderRegistration } from './registry.js';

export interface RunsModuleOptions {
  /** The providers this orchestrator talks to (the sandbox's own, from the composition root). */
  providers: readonly ProviderRegistration[];
  /** Sent to providers as `Projects-Orchestrator`. */
  orchestratorId?: string;
  /** Deadline of one request to a provider (default 10 s). */
  providerTimeoutMs?: number | undefined;
}

/**
 * The orchestrator's provisioning brain: provider registry, aggregated catalog, projects, quotes,
 * policy, approvals (API and pages), provision runs, account linking and resources. Mounted after the
 * identity module, whose root hook authenticates these routes.
 */
export function runsModule(options: RunsModuleOptions): SandboxModule {
  return {
    name: 'orchestrator:runs',
    migrations: RUNS_MIGRATIONS,
    sealedColumns: [REGISTERED_SIGNING_SECRETS, ACCOUNT_TOKENS, LINK_VERIFIERS, RESOURCE_CREDENTIALS],
    prefix: '',
    async register(app, ctx) {
      const registry = new ProviderRegistry(ctx.storage, ctx.secrets);
      const calls = new ProviderCalls(options.orchestratorId ?? 'sandbox', ctx.now, {
        timeoutMs: options.providerTimeoutMs,
      });
      const catalog = new Catalog(registry, calls, ctx.now);
      const projects = new ProjectStore(ctx.storage);
      const resources = new ResourceStore(ctx.storage, ctx.secrets);
      const accounts = new Accounts(ctx.storage, ctx.secrets, calls, ctx.baseUrl, ctx.now);
      const provisioner = new Provisioner({
        ctx,
        registry,
        catalog,
        calls,
        projects,
        quotes: new QuoteStore(ctx.storage),
        inflight: oneUnitPerCall(ctx.storage, (tx) => tx.inflight),
        resources,
        accounts,
      });
      const actions = new ResourceActions(ctx, registry, calls, accounts, resources);
      const deps = { ctx, catalog, projects, resources, provisioner, actions };
      acceptForms(app);
      registerCatalogRoutes(app, deps);
      registerProjectRoutes(app, deps);
      registerProvisionRoutes(app, deps);
      registerApprovalRoutes(app, ctx);
      registerPages(app, ctx, registry, accounts);
    },
    async onListen(ctx) {
      await new ProviderRegistry(ctx.storage, ctx.secrets).seed(
        ctx.baseUrl(),
        options.providers,
        new Date(ctx.now()),
      );
      return async () => {};
    },
  };
}
