import type { SandboxModule } from './context.js';

/**
 * The modules the sandbox mounts: the orchestrator and every reference provider. One line each.
 * Loaded lazily by the daemon and by tests so that the CLI's startup never pays for them.
 */
export async function loadSandboxModules(): Promise<SandboxModule[]> {
  const { sandboxProviderModules } = await import('./providers/index.js');
  return [...sandboxProviderModules()];
}
