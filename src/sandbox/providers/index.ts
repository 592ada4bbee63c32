import type { SandboxModule } from '../context.js';
import { createDataProvider } from './data/index.js';
import { createEdgeDeployModule } from './edge/deploy/module.js';
import { createEdgeProvider } from './edge/index.js';
import type { ProviderOptions } from './framework/index.js';

export interface SandboxProviderEntry {
  id: string;
  /** The provider's modules (a provider may bring several, e.g. edge's serving side). */
  create(options: ProviderOptions): SandboxModule[];
}

/**
 * The sandbox's reference providers, one line each. The composition root (../modules.ts) hands each its
 * signing secret and registers the same id, base URL and secret at the orchestrator.
 */
export const SANDBOX_PROVIDERS: readonly SandboxProviderEntry[] = [
  {
    id: 'edge',
    create: (options) => {
      const edge = createEdgeProvider(options);
      return [edge.module, createEdgeDeployModule(edge.sites, { publishSecret: options.signingSecret })];
    },
  },
  { id: 'data', create: (options) => [createDataProvider(options)] },
];
