import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProjectsError } from '../../../protocol/errors.js';

const rawBodies = new WeakMap<FastifyRequest, string>();

/**
 * JSON bodies for this plugin's routes, keeping the exact bytes received: a provider's signature covers
 * the raw body, not a re-serialisation of it. An empty body reads as `{}` (e.g. `POST /v1/runs/:id/end`).
 */
export function keepRawJsonBodies(app: FastifyInstance): void {
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    rawBodies.set(request, text);
    try {
      done(null, text.trim() === '' ? {} : JSON.parse(text));
    } catch {
      done(
        new ProjectsError('INVALID_ARGUMENT', 'the request body is not valid JSON', { httpStatus: 400 }),
        undefined,
      );
    }
  });
}

export function rawBody(request: FastifyRequest): string {
  return rawBodies.get(request) ?? '';
}
