import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { CaptureRequest, Limits } from '../../src/protocol/money.js';
import { SCOPES } from '../../src/protocol/scopes.js';
import { signatureHeader } from '../../src/protocol/signing.js';
import type { SandboxModule } from '../../src/sandbox/context.js';
import { auditModule } from '../../src/sandbox/orchestrator/audit/module.js';
import { DEFAULT_LIMITS } from '../../src/sandbox/orchestrator/money/limits.js';
import { moneyModule } from '../../src/sandbox/orchestrator/money/module.js';
import { issuePaymentToken } from '../../src/sandbox/orchestrator/money/tokens.js';
import { setPrincipal } from '../../src/sandbox/orchestrator/principal.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';

/**
 * Starts the money and audit modules on loopback with two stand-ins for teammates' parts: a principal
 * taken from an `x-test-user` header (identity's auth hook), and `POST /test/issue`, which issues a
 * payment token the way the provision flow does. Captures go over HTTP, signed, exactly as a provider
 * sends them.
 */
export const PROVIDER_SECRETS: Record<string, string> = { edge: 'whsec_edge_test', data: 'whsec_data_test' };

const testAuth: SandboxModule = {
  name: 'test:auth',
  migrations: [],
  prefix: '',
  async register() {},
  async registerRoot(app: FastifyInstance) {
    app.addHook('onRequest', async (request) => {
      const header = request.headers['x-test-user'];
      if (typeof header !== 'string') return;
      const [userId = '', kind = 'human'] = header.split(':');
      const human = kind === 'human';
      setPrincipal(request, {
        userId,
        email: `${userId}@example.test`,
        kind: human ? 'human' : 'token',
        credentialId: human ? 'grant_test' : `tok_${userId}`,
        scopes: human ? SCOPES : SCOPES.filter((scope) => scope !== 'approve'),
        actor: human ? `human:${userId}@example.test` : `token:tok_${userId}`,
      });
    });
  },
};

interface IssueBody {
  userId: string;
  providerId: string;
  maxAmount: number;
  idempotencyKey: string;
  projectId?: string;
  runId?: string;
  currency?: string;
}

const testPurchases: SandboxModule = {
  name: 'test:purchases',
  migrations: [],
  prefix: '',
  async register(app, ctx) {
    app.post<{ Body: IssueBody }>('/test/issue', async (request) => {
      const body = request.body;
      return issuePaymentToken(ctx, {
        userId: body.userId,
        actor: `token:tok_${body.userId}`,
        projectId: body.projectId ?? 'prj_test',
        runId: body.runId ?? null,
        providerId: body.providerId,
        maxAmount: body.maxAmount,
        currency: body.currency ?? 'usd',
        idempotencyKey: body.idempotencyKey,
        now: ctx.now(),
      });
    });
  },
};

export interface MoneySandbox extends RunningSandbox {
  clock: { offsetMs: number };
  /** A JSON request as a user (`user` or `user:token`); answers status, body and when it arrived. */
  call(method: string, path: string, options?: { user?: string; body?: unknown }): Promise<Reply>;
  issue(body: IssueBody): Promise<Reply>;
  capture(providerId: string, body: Omit<CaptureRequest, 'request_id'>, secret?: string): Promise<Reply>;
  limits(userId: string, changes: Partial<Limits>): Promise<void>;
}

export interface Reply {
  status: number;
  body: Record<string, unknown> & {
    error?: { code: string; message: string; details?: Record<string, unknown> };
  };
  headers: Headers;
  sentAt: number;
  receivedAt: number;
}

let requestCounter = 0;

export async function startMoneySandbox(extraModules: SandboxModule[] = []): Promise<MoneySandbox> {
  const dataDir = mkdtempSync(join(tmpdir(), 'projects-money-'));
  const clock = { offsetMs: 0 };
  const sandbox = await startSandbox({
    dataDir,
    port: 0,
    now: () => Date.now() + clock.offsetMs,
    modules: [
      testAuth,
      auditModule(),
      moneyModule({ secretFor: (id) => PROVIDER_SECRETS[id] }),
      testPurchases,
      ...extraModules,
    ],
  });
  async function send(path: string, init: RequestInit): Promise<Reply> {
    const sentAt = performance.now();
    const response = await fetch(`${sandbox.url}${path}`, init);
    const text = await response.text();
    return {
      status: response.status,
      body: text ? JSON.parse(text) : {},
      headers: response.headers,
      sentAt,
      receivedAt: performance.now(),
    };
  }
  return {
    ...sandbox,
    clock,
    call(method, path, options = {}) {
      const headers: Record<string, string> = {};
      if (options.user) headers['x-test-user'] = options.user;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      return send(path, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
    },
    issue(body) {
      return send('/test/issue', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    },
    capture(providerId, body, secret = PROVIDER_SECRETS[providerId] ?? '') {
      requestCounter += 1;
      const raw = JSON.stringify({ request_id: `req_${process.pid}_${requestCounter}`, ...body });
      return send('/v1/provider/captures', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'projects-provider': providerId,
          'projects-signature': signatureHeader(secret, raw),
        },
        body: raw,
      });
    },
    limits(userId, changes) {
      return sandbox.storage.transaction((tx) =>
        tx.limits.put(userId, { ...DEFAULT_LIMITS, ...changes }, Date.now()),
      );
    },
    async close() {
      await sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Sum of all captured amounts in the ledger, read straight from SQLite. */
export function ledgerTotal(sandbox: RunningSandbox, userId: string): number {
  const row = sandbox.db
    .prepare('SELECT COALESCE(SUM(amount), 0) AS total FROM money_captures WHERE user_id = ?')
    .get(userId);
  return (row as { total: number }).total;
}

/** Issues a token through the provision stand-in and captures `amount` of it; both answers returned. */
export async function purchase(
  sandbox: MoneySandbox,
  input: {
    userId: string;
    providerId: string;
    amount: number;
    key: string;
    runId?: string;
    projectId?: string;
  },
): Promise<{ issued: Reply; captured?: Reply }> {
  const issued = await sandbox.issue({
    userId: input.userId,
    providerId: input.providerId,
    maxAmount: input.amount,
    idempotencyKey: `issue-${input.key}`,
    ...(input.runId ? { runId: input.runId } : {}),
    ...(input.projectId ? { projectId: input.projectId } : {}),
  });
  if (issued.status !== 200) return { issued };
  const captured = await sandbox.capture(input.providerId, {
    token: issued.body.token as string,
    amount: input.amount,
    currency: 'usd',
    idempotency_key: `capture-${input.key}`,
  });
  return { issued, captured };
}
