import type { FastifyRequest } from 'fastify';
import { ProjectsError } from '../../protocol/errors.js';
import type { Principal, Scope } from '../../protocol/scopes.js';

/**
 * The orchestrator's authentication hook (identity module) resolves the bearer token or the web session
 * and stores the result here; handlers ask for it with `requireScope`.
 */
const principals = new WeakMap<FastifyRequest, Principal>();

export function setPrincipal(request: FastifyRequest, principal: Principal): void {
  principals.set(request, principal);
}

export function currentPrincipal(request: FastifyRequest): Principal | undefined {
  return principals.get(request);
}

/** Any authenticated principal, whatever its scopes; 401 AUTH_REQUIRED otherwise. */
export function requirePrincipal(request: FastifyRequest): Principal {
  const principal = principals.get(request);
  if (!principal) {
    throw new ProjectsError('AUTH_REQUIRED', 'sign in first', {
      httpStatus: 401,
      next: [{ command: 'projects login', why: 'no valid credential was presented' }],
    });
  }
  return principal;
}

export function requireScope(request: FastifyRequest, scope: Scope): Principal {
  const principal = requirePrincipal(request);
  if (!principal.scopes.includes(scope)) {
    throw new ProjectsError('SCOPE_DENIED', `this credential lacks the '${scope}' scope`, {
      httpStatus: 403,
      details: { required: scope, granted: principal.scopes },
    });
  }
  return principal;
}
