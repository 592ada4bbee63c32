import { createHash } from 'node:crypto';
import type { SandboxModule } from '../context.js';
import { createDataProvider } from './data/index.js';
import type { EdgeSites } from './edge/hosting.js';
import { createEdgeProvider } from './edge/index.js';

/**
 * The sandbox's reference providers. The orchestrator registers each with the same id, base URL
 * (`<sandbox>/providers/<id>/`) and signing secret.
 */
export const SANDBOX_PROVIDER_IDS = ['edge', 'data'] as const;

/**
 * The signing secret the sandbox orchestrator and a sandbox provider share. Both run in one loopback-only
 * process over one database, so a per-id derivation is enough; a real deployment exchanges random secrets
 * at registration. `PROJECTS_SANDBOX_PROVIDER_SECRET` overrides the seed.
 */
export function sandboxProviderSecret(id: string, env: NodeJS.ProcessEnv = process.env): string {
  const seed = env.PROJECTS_SANDBOX_PROVIDER_SECRET ?? 'projects-sandbox';
  return createHash('sha256').update(`${seed}:provider:${id}`).digest('hex');
}

/** The provider modules of the sandbox, each with its shared secret, and the edge's view of its sites. */
export function createSandboxProviders(): { modules: SandboxModule[]; edgeSites: EdgeSites } {
  const edge = createEdgeProvider({ id: 'edge', signingSecret: sandboxProviderSecret('edge') });
  const data = createDataProvider({ id: 'data', signingSecret: sandboxProviderSecret('data') });
  return { modules: [edge.module, data], edgeSites: edge.sites };
}

export function sandboxProviderModules(): SandboxModule[] {
  return createSandboxProviders().modules;
}
