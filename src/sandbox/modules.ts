import type { SandboxModule } from './context.js';
import { openDatabase, sandboxDatabasePath } from './db.js';
import { ensureProviderSecrets, type SandboxProvider } from './provider-secrets.js';
import type { SandboxProviderEntry } from './providers/index.js';
import { openSecretBox } from './secret-box.js';

export type { SandboxProvider } from './provider-secrets.js';

/** What every orchestrator module is built with: the reference providers it talks to. */
export interface OrchestratorEnv {
  providers: readonly SandboxProvider[];
  /** Deadline of one orchestrator → provider request. */
  providerTimeoutMs: number | undefined;
}

/**
 * Orchestrator modules, one line each. Identity comes first: its root hook authenticates the routes
 * of the modules after it.
 */
const ORCHESTRATOR_MODULES: readonly ((env: OrchestratorEnv) => Promise<SandboxModule>)[] = [
  async () => {
    const [{ identityModule }, { ProviderRegistry }] = await Promise.all([
      import('./orchestrator/identity/module.js'),
      import('./orchestrator/runs/registry.js'),
    ]);
    // The terms pages of providers name them from the runs module's provider registry.
    return identityModule({
      providerTerms: (ctx, id) => new ProviderRegistry(ctx.storage, ctx.secrets).find(id),
    });
  },
  async () => (await import('./orchestrator/audit/module.js')).auditModule(),
  async ({ providers }) =>
    (await import('./orchestrator/money/module.js')).moneyModule({
      secretFor: (id) => providers.find((provider) => provider.id === id)?.signingSecret,
    }),
  async ({ providers, providerTimeoutMs }) =>
    (await import('./orchestrator/runs/index.js')).runsModule({ providers, providerTimeoutMs }),
  async ({ providers }) => (await import('./orchestrator/publish/module.js')).publishModule({ providers }),
];

export interface LoadModulesOptions {
  /** The sandbox data directory; its database keeps the providers' signing secrets. */
  dataDir: string;
  /**
   * Deadline of one orchestrator → provider request; default 10 s, or PROJECTS_PROVIDER_TIMEOUT_MS
   * (an operator knob, and how the fault-injection tests keep timeouts short).
   */
  providerTimeoutMs?: number;
  /**
   * Providers mounted and registered beside the reference ones, wired exactly like them (a signing secret,
   * captures accepted): how tests bring a provider whose catalog the reference ones do not have.
   */
  extraProviders?: readonly SandboxProviderEntry[];
}

/** The assembled sandbox: every module to mount, and the reference providers among them. */
export interface SandboxComposition {
  modules: SandboxModule[];
  providers: SandboxProvider[];
}

/**
 * The composition root: the orchestrator's modules and every reference provider (listed in
 * providers/index.ts), wired with shared signing secrets that are generated on first start and kept in
 * the database. Loaded lazily by the daemon and by tests so that the CLI's startup never pays for them.
 */
export async function loadSandbox(options: LoadModulesOptions): Promise<SandboxComposition> {
  const { SANDBOX_PROVIDERS } = await import('./providers/index.js');
  const entries = [...SANDBOX_PROVIDERS, ...(options.extraProviders ?? [])];
  const db = openDatabase(sandboxDatabasePath(options.dataDir));
  let providers: SandboxProvider[];
  try {
    providers = ensureProviderSecrets(
      db,
      openSecretBox(options.dataDir),
      entries.map((provider) => provider.id),
    );
  } finally {
    db.close();
  }
  const providerTimeoutMs =
    options.providerTimeoutMs ?? (Number(process.env.PROJECTS_PROVIDER_TIMEOUT_MS) || undefined);
  const orchestrator = await Promise.all(
    ORCHESTRATOR_MODULES.map((create) => create({ providers, providerTimeoutMs })),
  );
  const providerModules = entries.flatMap(({ id, create }, index) =>
    create({ id, signingSecret: providers[index]!.signingSecret }),
  );
  return { modules: [...orchestrator, ...providerModules], providers };
}

export async function loadSandboxModules(options: LoadModulesOptions): Promise<SandboxModule[]> {
  return (await loadSandbox(options)).modules;
}
