import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeployClient } from '../../src/client/deploy-client.js';
import { type DeployedResponse, fetchDeployed } from '../../src/client/deployed.js';
import { mintPublishGrant } from '../../src/protocol/publish-grant.js';
import { createEdgeDeployModule } from '../../src/sandbox/providers/edge/deploy/module.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import { MemoryHosting } from './hosting.js';

/** Stands in for the secret the edge provider shares with the orchestrator. */
export const PUBLISH_SECRET = 'test-publish-secret';

/** What the orchestrator hands out once a production change is authorized. */
export function grantFor(site: { id: string }, deploymentId: string): string {
  return mintPublishGrant(PUBLISH_SECRET, { site: site.id, deployment: deploymentId }).grant;
}

export interface DeploySandbox {
  sandbox: RunningSandbox;
  dataDir: string;
  hosting: MemoryHosting;
  port: number;
  deployUrl: string;
  logs: string[];
  client(token: string): DeployClient;
  close(): Promise<void>;
}

/**
 * The serving side of `edge` mounted alone in a real sandbox server, over a temp data dir that `prepare`
 * may fill first.
 */
export async function startDeploySandbox(
  options: { prepare?: (dataDir: string) => void } = {},
): Promise<DeploySandbox> {
  const dataDir = mkdtempSync(join(tmpdir(), 'projects-deploy-'));
  options.prepare?.(dataDir);
  const hosting = new MemoryHosting();
  const logs: string[] = [];
  const sandbox = await startSandbox({
    dataDir,
    port: 0,
    modules: [createEdgeDeployModule(hosting, { publishSecret: PUBLISH_SECRET })],
    log: (line) => logs.push(line),
  });
  const deployUrl = `${sandbox.url}/providers/edge/deploy`;
  return {
    sandbox,
    dataDir,
    hosting,
    port: Number(new URL(sandbox.url).port),
    deployUrl,
    logs,
    client: (token) => new DeployClient({ url: deployUrl, token }),
    close: async () => {
      await sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An HTTP request to `host` on the sandbox's port (`*.localhost` names are loopback). */
export function hostRequest(
  port: number,
  host: string,
  path = '/',
  options: { method?: string; body?: string } = {},
): Promise<DeployedResponse> {
  return fetchDeployed(`http://${host}:${port}${path}`, { address: '127.0.0.1', ...options });
}

/** An HTTPS request to `hostname` on the sandbox's HTTPS listener, trusting only `ca`. */
export function tlsRequest(
  port: number,
  hostname: string,
  ca: string,
  path = '/',
): Promise<DeployedResponse> {
  return fetchDeployed(`https://${hostname}:${port}${path}`, { address: '127.0.0.1', ca });
}

/** The host name of a deployment URL (`http://<label>.localhost:<port>/`). */
export function hostOf(url: string): string {
  return new URL(url).hostname;
}

/** Polls `condition` until it holds, failing after a deadline. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
