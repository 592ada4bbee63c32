import type { FastifyInstance } from 'fastify';
import type { MeResponse } from '../../../protocol/oauth.js';
import { requirePrincipal } from '../principal.js';
import { currentCredential } from './auth.js';

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** `GET /v1/health` (public) and `GET /v1/me` (any credential). */
export function registerMe(app: FastifyInstance): void {
  app.get('/v1/health', async () => ({ ok: true, role: 'orchestrator' }));

  app.get('/v1/me', async (request): Promise<MeResponse> => {
    const principal = requirePrincipal(request);
    const credential = currentCredential(request)!;
    return {
      user: { id: principal.userId, email: principal.email },
      kind: principal.kind,
      scopes: [...principal.scopes],
      credential: { type: credential.type, id: credential.id, expires_at: isoOrNull(credential.expiresAt) },
    };
  });
}
