import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ProjectsError } from '../../../protocol/errors.js';

/** Parses a request part with a protocol schema; a mismatch is INVALID_ARGUMENT naming the fields. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const summary = issues
    .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
    .join('; ');
  throw new ProjectsError('INVALID_ARGUMENT', `invalid ${what}: ${summary}`, {
    httpStatus: 400,
    details: { issues },
  });
}

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
