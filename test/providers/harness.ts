import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProviderClient } from '../../src/client/provider-client.js';
import type { SandboxModule } from '../../src/sandbox/context.js';
import type { EdgeSites } from '../../src/sandbox/providers/edge/hosting.js';
import { createSandboxProviders, sandboxProviderSecret } from '../../src/sandbox/providers/index.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';

/** A sandbox with only the reference providers (plus any test modules), on a free loopback port. */
export async function startProviderSandbox(
  extra: SandboxModule[] = [],
): Promise<RunningSandbox & { edgeSites: EdgeSites }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'projects-providers-'));
  const providers = createSandboxProviders();
  const sandbox = await startSandbox({ dataDir, port: 0, modules: [...providers.modules, ...extra] });
  return {
    ...sandbox,
    edgeSites: providers.edgeSites,
    close: async () => {
      await sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function providerClient(sandbox: RunningSandbox, id: string, secret = sandboxProviderSecret(id)) {
  return new ProviderClient({
    baseUrl: `${sandbox.url}/providers/${id}/`,
    secret,
    orchestratorId: 'orch_test',
  });
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function accountRequestFor(sandbox: RunningSandbox, email: string, challenge: string) {
  return {
    email,
    name: 'Test User',
    scopes: ['provision'],
    code_challenge: challenge,
    code_challenge_method: 'S256' as const,
    redirect_uri: `${sandbox.url}/provider-callback`,
    state: randomBytes(12).toString('hex'),
    expires_at: new Date(Date.now() + 10 * 60_000).toISOString(),
  };
}

/** Links a brand-new account (unknown email → `oauth`) and returns its provider account token. */
export async function linkNewAccount(sandbox: RunningSandbox, client: ProviderClient): Promise<string> {
  const { verifier, challenge } = pkcePair();
  const email = `user-${randomBytes(6).toString('hex')}@example.org`;
  const answer = await client.requestAccount(accountRequestFor(sandbox, email, challenge));
  if (answer.type !== 'oauth') throw new Error(`expected oauth for a new email, got ${answer.type}`);
  const token = await client.exchangeCode({
    grant_type: 'authorization_code',
    code: answer.oauth.code,
    code_verifier: verifier,
  });
  return token.access_token;
}
