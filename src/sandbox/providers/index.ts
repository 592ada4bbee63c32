import { createHash } from 'node:crypto';
import type { SandboxModule } from '../context.js';
import { createDataProvider } from './data/index.js';
import type { ProviderOptions } from './framework/index.js';

/**
 * The sandbox's reference providers. The orchestrator registers each with the same id, base URL
 * (`<sandbox>/providers/<id>/`) and signing secret.
 */
export const SANDBOX_PROVIDERS: readonly {
  id: string;
  create: (options: ProviderOptions) => SandboxModule;
}[] = [{ id: 'data', create: createDataProvider }];

/**
 * The signing secret the sandbox orchestrator and a sandbox provider share. Both run in one loopback-only
 * process over one database, so a per-id derivation is enough; a real deployment exchanges random secrets
 * at registration. `PROJECTS_SANDBOX_PROVIDER_SECRET` overrides the seed.
 */
export function sandboxProviderSecret(id: string, env: NodeJS.ProcessEnv = process.env): string {
  const seed = env.PROJECTS_SANDBOX_PROVIDER_SECRET ?? 'projects-sandbox';
  return createHash('sha256').update(`${seed}:provider:${id}`).digest('hex');
}

export function sandboxProviderModules(): SandboxModule[] {
  return SANDBOX_PROVIDERS.map(({ id, create }) => create({ id, signingSecret: sandboxProviderSecret(id) }));
}
