import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { canonicalHash } from '../../src/core/canonical-json.js';
import { ProjectsError } from '../../src/protocol/errors.js';
import { CaptureRequest, type CaptureResponse, PROVIDER_HEADER } from '../../src/protocol/provider.js';
import { memoryReplayGuard, SIGNATURE_HEADER, verifySignature } from '../../src/protocol/signing.js';
import type { SandboxModule } from '../../src/sandbox/context.js';
import { PROVIDER_SECRETS } from './harness.js';

/**
 * A small, real capture endpoint implementing the TEAM.md contract (signed by the provider's secret,
 * single-use tokens with a ceiling, idempotency keys that replay), mounted at /v1/provider/captures —
 * stands in for the orchestrator's money module in provider tests.
 */
export interface CaptureStub {
  module: SandboxModule;
  issueToken(provider: string, maxAmount: number): string;
  /** Every capture that moved money (replays excluded). */
  charges: (CaptureRequest & { provider: string })[];
  /** Every request that reached the endpoint. */
  calls: number;
}

export function createCaptureStub(): CaptureStub {
  const tokens = new Map<string, { provider: string; maxAmount: number; usedBy?: string }>();
  const byKey = new Map<string, { hash: string; response: CaptureResponse }>();
  const guard = memoryReplayGuard();
  const raw = new WeakMap<FastifyRequest, string>();
  const stub: CaptureStub = {
    charges: [],
    calls: 0,
    issueToken(provider, maxAmount) {
      const token = `spt_${randomBytes(12).toString('hex')}`;
      tokens.set(token, { provider, maxAmount });
      return token;
    },
    module: {
      name: 'test:capture-stub',
      migrations: [],
      prefix: '/v1/provider',
      async register(app) {
        app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
          raw.set(request, body as string);
          done(null, JSON.parse(body as string));
        });
        app.post('/captures', async (request) => {
          stub.calls += 1;
          const provider = String(request.headers[PROVIDER_HEADER] ?? '');
          const check = verifySignature({
            secret: PROVIDER_SECRETS[provider] ?? '',
            header: request.headers[SIGNATURE_HEADER] as string | undefined,
            body: raw.get(request) ?? '',
            replayGuard: guard,
          });
          if (!check.ok) throw new ProjectsError('INVALID_SIGNATURE', check.message, { httpStatus: 401 });
          const body = CaptureRequest.parse(request.body);
          const { request_id: _ignored, ...rest } = body;
          const hash = canonicalHash({ provider, ...rest });
          const seen = byKey.get(`${provider}:${body.idempotency_key}`);
          if (seen && seen.hash !== hash) {
            throw new ProjectsError('IDEMPOTENCY_CONFLICT', 'key reused with another body', {
              httpStatus: 409,
            });
          }
          if (seen) return { ...seen.response, replayed: true };
          const token = tokens.get(body.token);
          if (!token || token.provider !== provider || token.usedBy || body.amount > token.maxAmount) {
            throw new ProjectsError('PAYMENT_DECLINED', 'token unknown, used, or below the amount', {
              httpStatus: 402,
            });
          }
          token.usedBy = body.idempotency_key;
          const response: CaptureResponse = {
            capture_id: `cap_${randomBytes(8).toString('hex')}`,
            amount: body.amount,
            currency: body.currency,
            replayed: false,
          };
          byKey.set(`${provider}:${body.idempotency_key}`, { hash, response });
          stub.charges.push({ ...body, provider });
          return response;
        });
      },
    },
  };
  return stub;
}
