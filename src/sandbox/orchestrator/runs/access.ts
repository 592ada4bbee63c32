import { ProjectsError } from '../../../protocol/errors.js';
import type { Principal, Scope } from '../../../protocol/scopes.js';

/**
 * Scope checks on a principal already resolved by the route (`requireScope`): a provision learns only
 * from the catalog and the quote whether it is free or paid, so the paid scope is checked then.
 */
export function assertScope(principal: Principal, scope: Scope): void {
  if (principal.scopes.includes(scope)) return;
  throw new ProjectsError('SCOPE_DENIED', `this credential lacks the '${scope}' scope`, {
    httpStatus: 403,
    details: { required: scope, granted: principal.scopes },
  });
}

/**
 * Only a signed-in human may decide an approval: `approve` is never grantable to tokens, and the principal
 * kind is checked as well so that no credential an agent holds can satisfy a gate.
 */
export function assertHuman(principal: Principal): void {
  assertScope(principal, 'approve');
  if (principal.kind !== 'human') {
    throw new ProjectsError('HUMAN_REQUIRED', 'only a human can decide an approval', { httpStatus: 403 });
  }
}
