import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProjectsError } from '../../../protocol/errors.js';
import {
  type ReplayGuard,
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_SECONDS,
  verifySignature,
} from '../../../protocol/signing.js';
import type { FrameworkStore } from './store.js';

const rawBodies = new WeakMap<FastifyRequest, string>();

/**
 * The replay guard lives in the sandbox database, so a replay is refused even across a restart. Entries
 * older than twice the tolerance window can never verify again and are pruned.
 */
export function databaseReplayGuard(store: FrameworkStore, now: () => number): ReplayGuard {
  return {
    seen(signature, timestamp) {
      store.forgetSignaturesBefore(Math.floor(now() / 1000) - SIGNATURE_TOLERANCE_SECONDS * 2);
      return !store.rememberSignature(signature, timestamp);
    },
  };
}

/** Keeps the raw JSON body (the signature covers the exact bytes) and parses it for the handlers. */
export function keepRawJsonBodies(app: FastifyInstance): void {
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    rawBodies.set(request, text);
    if (text.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(
        new ProjectsError('INVALID_ARGUMENT', 'request body is not valid JSON', { httpStatus: 400 }),
        undefined,
      );
    }
  });
}

/**
 * Refuses every request of this scope that does not carry a valid, fresh, unreplayed orchestrator
 * signature: 401 with code INVALID_SIGNATURE and the reason (missing, malformed, stale, mismatch, replayed).
 */
export function requireSignature(
  app: FastifyInstance,
  secret: string,
  guard: ReplayGuard,
  now: () => number,
) {
  app.addHook('preHandler', async (request) => {
    const header = request.headers[SIGNATURE_HEADER];
    const check = verifySignature({
      secret,
      header: Array.isArray(header) ? header[0] : header,
      body: rawBodies.get(request) ?? '',
      replayGuard: guard,
      now: now(),
    });
    if (!check.ok) {
      throw new ProjectsError('INVALID_SIGNATURE', `request refused: ${check.message}`, {
        httpStatus: 401,
        details: { reason: check.reason },
      });
    }
  });
}
