import type { FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { ProjectsError } from '../../../protocol/errors.js';

/** Validates a request body; failures are 400 INVALID_ARGUMENT naming the fields, never echoing values. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  throw new ProjectsError('INVALID_ARGUMENT', 'request body does not match the protocol schema', {
    httpStatus: 400,
    details: {
      issues: parsed.error.issues
        .slice(0, 10)
        .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`),
    },
  });
}

/** HTML forms post urlencoded bodies; Fastify has no built-in parser for them. */
export function acceptForms(app: FastifyInstance): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char,
  );
}

/**
 * Sends a provider page: no scripts at all, not frameable, forms only to this origin and (for the consent
 * redirect) the orchestrator's.
 */
export function sendPage(
  reply: FastifyReply,
  status: number,
  title: string,
  body: string,
  formTargets: readonly string[] = [],
): FastifyReply {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.4rem}button{margin:1rem .5rem 0 0;padding:.5rem 1rem}
.error{color:#b00020}code{background:#f2f2f2;padding:0 .2rem}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header(
      'content-security-policy',
      `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${formTargets.join(' ')}; frame-ancestors 'none'`,
    )
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .send(html);
}
