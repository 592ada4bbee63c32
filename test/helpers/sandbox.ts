import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_CLIENT_ID } from '../../src/protocol/oauth.js';
import { SCOPES, type Scope } from '../../src/protocol/scopes.js';
import { sandboxDatabasePath } from '../../src/sandbox/db.js';
import { loadSandboxModules } from '../../src/sandbox/modules.js';
import { startGrant } from '../../src/sandbox/orchestrator/identity/grants.js';
import { identityStore } from '../../src/sandbox/orchestrator/identity/store.js';
import { ORCHESTRATOR_TERMS } from '../../src/sandbox/orchestrator/identity/terms.js';
import { ensureSandboxUser } from '../../src/sandbox/orchestrator/identity/users.js';
import type { OrchestratorStorage } from '../../src/sandbox/orchestrator/storage/unit-of-work.js';
import { type RunningSandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/server.js';

export interface TestUser {
  id: string;
  email: string;
  password: string;
}

export type TestSandbox = RunningSandbox & {
  dataDir: string;
  user: TestUser;
  /**
   * A bearer access token of the test user, as a completed `projects login` would hold (all scopes by
   * default). For API tests that are not about logging in.
   */
  accessToken(scopes?: readonly Scope[]): Promise<string>;
};

export interface TestSandboxOptions extends Partial<Pick<SandboxOptions, 'now' | 'log' | 'modules'>> {
  /**
   * Whether the human has accepted the orchestrator's own terms (default true), as every user who got
   * past `projects init` has. False for tests of that gate itself.
   */
  orchestratorTermsAccepted?: boolean;
  /**
   * The data directory, owned by the caller and kept on close, so that a test can start the sandbox again
   * on the same state (as `sandbox stop` then `start` does). Default: a fresh one, removed on close.
   */
  dataDir?: string;
}

/**
 * Starts the whole sandbox (or just `modules`, which must include the identity module) in-process on a
 * free loopback port, with its own temp data directory and a human (`user`) whose password the test knows.
 */
export async function startTestSandbox(options: TestSandboxOptions = {}): Promise<TestSandbox> {
  const { orchestratorTermsAccepted = true, dataDir: given, ...sandboxOptions } = options;
  const dataDir = given ?? mkdtempSync(join(tmpdir(), 'projects-sandbox-'));
  const modules = sandboxOptions.modules ?? (await loadSandboxModules({ dataDir }));
  const sandbox = await startSandbox({ ...sandboxOptions, dataDir, port: 0, modules });
  const credentials = { email: 'human@example.test', password: randomBytes(12).toString('base64url') };
  const { user } = await ensureSandboxUser(sandbox.storage, credentials);
  if (orchestratorTermsAccepted) await acceptOrchestratorTerms(sandbox.storage, user.id);
  return {
    ...sandbox,
    dataDir,
    user: { id: user.id, ...credentials },
    accessToken: async (scopes = SCOPES) =>
      (
        await startGrant(
          identityStore(sandbox.storage),
          { userId: user.id, clientId: CLI_CLIENT_ID, scopes },
          Date.now(),
        )
      ).tokens.access_token,
    close: async () => {
      await sandbox.close();
      if (!given) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The raw bytes of the sandbox database and its WAL (latin1), for tests that search them for secrets. */
export function databaseBytes(dataDir: string): string {
  const file = sandboxDatabasePath(dataDir);
  return [file, `${file}-wal`]
    .filter((path) => existsSync(path))
    .map((path) => readFileSync(path).toString('latin1'))
    .join('\n');
}

/** Records the user's acceptance of the orchestrator's current terms, as their click on /terms would. */
export function acceptOrchestratorTerms(storage: OrchestratorStorage, userId: string): Promise<void> {
  return identityStore(storage).acceptTerms(
    userId,
    ORCHESTRATOR_TERMS.party,
    ORCHESTRATOR_TERMS.version,
    Date.now(),
  );
}
