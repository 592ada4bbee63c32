import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProviderClient } from '../../src/client/provider-client.js';
import type { SandboxModule } from '../../src/sandbox/context.js';
import { createDataProvider } from '../../src/sandbox/providers/data/index.js';
import { createEdgeProvider } from '../../src/sandbox/providers/edge/index.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';

/** Per test run, like the sandbox's own: random signing secrets shared by "orchestrator" (tests) and providers. */
export const PROVIDER_SECRETS: Readonly<Record<string, string>> = {
  edge: `whsec_${randomBytes(24).toString('base64url')}`,
  data: `whsec_${randomBytes(24).toString('base64url')}`,
};

export type ProviderSandbox = RunningSandbox;

/** A sandbox with only the reference providers (plus any test modules), on a free loopback port. */
export async function startProviderSandbox(extra: SandboxModule[] = []): Promise<ProviderSandbox> {
  const dataDir = mkdtempSync(join(tmpdir(), 'projects-providers-'));
  const edge = createEdgeProvider({ id: 'edge', signingSecret: PROVIDER_SECRETS.edge! });
  const data = createDataProvider({ id: 'data', signingSecret: PROVIDER_SECRETS.data! });
  const sandbox = await startSandbox({ dataDir, port: 0, modules: [edge.module, data, ...extra] });
  return {
    ...sandbox,
    close: async () => {
      await sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function providerClient(sandbox: RunningSandbox, id: string, secret = PROVIDER_SECRETS[id]!) {
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
