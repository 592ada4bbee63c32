import type { SandboxContext } from '../../context.js';
import { appendAudit } from '../audit/chain.js';
import type { OrchestratorStorage } from '../storage/unit-of-work.js';

/** A successful identity action for the user's hash-chained audit log (S5). */
export interface IdentityEvent {
  user: { id: string; email: string };
  /** `human:<email>` or `token:<id>`; defaults to the user acting as a human. */
  actor?: string;
  /** e.g. `api_token.create`, `terms.accept`, `login.device_approve`. */
  action: string;
  subject: string;
  details?: Record<string, unknown>;
}

/** Appends in its own unit, or in the caller's (`store` = its `tx`) when it records a change made there. */
export async function auditIdentity(
  ctx: SandboxContext,
  event: IdentityEvent,
  store: OrchestratorStorage = ctx.storage,
): Promise<void> {
  await appendAudit(store, {
    userId: event.user.id,
    actor: event.actor ?? `human:${event.user.email}`,
    action: event.action,
    subject: event.subject,
    result: 'ok',
    ...(event.details ? { details: event.details } : {}),
    now: ctx.now(),
  });
}
