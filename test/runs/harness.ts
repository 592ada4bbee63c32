import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import type { Scope } from '../../src/protocol/scopes.js';
import { identityStore } from '../../src/sandbox/orchestrator/identity/store.js';
import { providerTermsParty } from '../../src/sandbox/orchestrator/identity/terms.js';
import { ProviderRegistry } from '../../src/sandbox/orchestrator/runs/registry.js';
import { createApprovedToken } from '../helpers/api-token.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T & { error?: { code: string; message: string; details?: Record<string, unknown> } };
}

export interface RunsSandbox extends TestSandbox {
  /** JSON over real HTTP with the human's bearer token (or `token`). */
  api<T = Record<string, unknown>>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<Answer<T>>;
  human: string;
  /** A scoped API token, as `projects token create` would hand to CI or an agent. */
  agentToken(scopes: Scope[]): Promise<string>;
  /** The human gates that are identity's pages, recorded directly: provider terms, a card on file. */
  acceptTerms(provider: string): Promise<void>;
  addCard(): Promise<void>;
  createProject(name?: string): Promise<string>;
}

export async function startRunsSandbox(
  options: Parameters<typeof startTestSandbox>[0] = {},
): Promise<RunsSandbox> {
  const sandbox = await startTestSandbox(options);
  const human = await sandbox.accessToken();
  const store = identityStore(sandbox.storage);
  const api: RunsSandbox['api'] = async (method, path, body, token = human) => {
    const response = await request(`${sandbox.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.statusCode, body: (await response.body.json()) as Answer['body'] as never };
  };
  return Object.assign(sandbox, {
    api,
    human,
    async agentToken(scopes: Scope[]) {
      return (await createApprovedToken(sandbox.url, human, { name: 'agent', scopes, expires_in: 3600 }))
        .token;
    },
    async acceptTerms(provider: string) {
      const registered = await new ProviderRegistry(sandbox.storage, sandbox.context.secrets).get(provider);
      await store.acceptTerms(
        sandbox.user.id,
        providerTermsParty(provider),
        registered.termsVersion,
        Date.now(),
      );
    },
    async addCard() {
      if ((await store.listPaymentMethods(sandbox.user.id)).length > 0) return;
      await store.insertPaymentMethod(sandbox.user.id, {
        id: 'pm_test',
        brand: 'visa',
        last4: '4242',
        expMonth: 12,
        expYear: 2030,
        declines: false,
        createdAt: Date.now(),
      });
    },
    async createProject(name = 'shop') {
      const answer = await api<{ id: string }>('POST', '/v1/projects', { name });
      if (answer.status !== 201) throw new Error(`project not created: ${JSON.stringify(answer.body)}`);
      return answer.body.id;
    },
  });
}

/**
 * A provider that misbehaves on purpose (HTTP 500, or a 200 with a body that is not the protocol), on its
 * own loopback port, registered at the orchestrator like any other provider.
 */
export async function registerBrokenProvider(
  sandbox: TestSandbox,
  id: string,
  answer: { status: number; body: string },
): Promise<Server> {
  const server = createServer((_request, response) => {
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new ProviderRegistry(sandbox.storage, sandbox.context.secrets).upsert(
    {
      id,
      name: id,
      baseUrl: `http://127.0.0.1:${port}/`,
      signingSecret: 'whsec_broken',
      termsUrl: `${sandbox.url}/terms/${id}`,
      termsVersion: '1',
    },
    new Date(),
  );
  return server;
}

/** The approval an APPROVAL_REQUIRED (or APPROVAL_DENIED) answer points at. */
export function approvalIdOf(answer: Answer<unknown>): string {
  const id = answer.body.error?.details?.approval_id;
  if (typeof id !== 'string') throw new Error(`no approval in ${JSON.stringify(answer.body)}`);
  return id;
}
