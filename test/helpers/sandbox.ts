import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSandboxModules } from '../../src/sandbox/modules.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';

/** Starts the whole sandbox in-process on a free loopback port, with its own temp data directory. */
export async function startTestSandbox(): Promise<RunningSandbox & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'projects-sandbox-'));
  const sandbox = await startSandbox({ dataDir, port: 0, modules: await loadSandboxModules() });
  return {
    ...sandbox,
    dataDir,
    close: async () => {
      await sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
