import { randomUUID } from 'node:crypto';
import { canonicalHash } from '../../../core/canonical-json.js';
import { formatMoney } from '../../../core/money.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { FreezeState, Limits, UpdateBudgetRequest } from '../../../protocol/money.js';
import type { SandboxContext } from '../../context.js';
import { gateOnApproval, onApprovalDecided } from '../runs/index.js';
import type { OrchestratorStorage } from '../storage/unit-of-work.js';
import { changeLimits, isEmpty } from './budget.js';
import { getFreezeState, unfreezeUser } from './freeze.js';
import { AMOUNT_LIMITS } from './limits.js';
import type { GateKind } from './repository.js';

/**
 * The money module's human gates: raising a limit and lifting a freeze. Both become approvals (`apr_…`)
 * that only a human can decide, in the web page or with `projects approve` at a terminal; the change is
 * applied the moment the human approves (a decision listener), or when the same request is repeated after
 * the approval. What was asked is kept here, keyed by the approval, so the approval applies exactly that.
 */
interface Requester {
  userId: string;
  actor: string;
}

/** Makes the money module's approvals take effect when a human approves them. */
export function applyGatesOnApproval(ctx: SandboxContext): void {
  for (const kind of ['budget_raise', 'unfreeze'] as const) {
    onApprovalDecided(ctx, kind, async (_ctx, approval) => {
      if (approval.status === 'approved') await applyGate(ctx, approval.id, approval.decided_by ?? 'human');
    });
  }
}

/**
 * Applies an approved gate once: the stored raise, or the lift of the very freeze it was asked for. The
 * decision is used up by this change in the same unit (a no-op when the repeated request already claimed
 * it): asking for the same change again needs a new approval.
 */
function applyGate(ctx: SandboxContext, approvalId: string, decidedBy: string): Promise<void> {
  return ctx.storage.transaction(async (tx) => {
    const gate = await tx.gates.find(approvalId);
    if (!gate || gate.applied_at !== null) return;
    const now = ctx.now();
    await tx.approvals.claim(approvalId, oneUseClaim(gate.kind), true, new Date(now).toISOString());
    await tx.gates.markApplied(approvalId, now);
    const payload = gate.payload as { changes?: UpdateBudgetRequest; frozen_at?: string | null };
    if (gate.kind === 'budget_raise' && payload.changes) {
      await changeLimits(tx, {
        userId: gate.user_id,
        actor: decidedBy,
        changes: payload.changes,
        approvalId,
        now,
      });
    } else if (
      gate.kind === 'unfreeze' &&
      (await getFreezeState(tx, gate.user_id)).frozen_at === payload.frozen_at
    ) {
      await unfreezeUser(tx, { userId: gate.user_id, actor: decidedBy, approvalId, now });
    }
  });
}

/**
 * Passes the request through its gate: creates (or finds) the approval and records what it would apply.
 * Throws APPROVAL_REQUIRED / APPROVAL_DENIED until a human approved; once approved, applies it.
 */
async function passGate(
  ctx: SandboxContext,
  requester: Requester,
  gate: { kind: GateKind; title: string; payload: Record<string, unknown>; warnings: string[] },
): Promise<void> {
  const planHash = canonicalHash({ kind: gate.kind, user: requester.userId, ...gate.payload });
  try {
    const approval = await gateOnApproval(
      ctx,
      { userId: requester.userId, kind: gate.kind, title: gate.title, planHash, warnings: gate.warnings },
      [gate.title],
      oneUseClaim(gate.kind),
    );
    await remember(ctx.storage, approval.id, requester.userId, gate, ctx.now());
    await applyGate(ctx, approval.id, approval.decided_by ?? requester.actor);
  } catch (error) {
    const approvalId = error instanceof ProjectsError ? error.details?.approval_id : undefined;
    if (typeof approvalId === 'string')
      await remember(ctx.storage, approvalId, requester.userId, gate, ctx.now());
    throw error;
  }
}

/**
 * A claim no later request can share: approvals let the very request that claimed one use it again after a
 * crash (provision reruns carry their idempotency key), but a money gate is applied once, atomically, so a
 * new request for the same change must always need a new human decision.
 */
function oneUseClaim(kind: string): string {
  return `money:${kind}:${randomUUID()}`;
}

function remember(
  store: OrchestratorStorage,
  approvalId: string,
  userId: string,
  gate: { kind: GateKind; payload: Record<string, unknown> },
  now: number,
): Promise<void> {
  return store.transaction((tx) =>
    tx.gates.remember(
      { approval_id: approvalId, user_id: userId, kind: gate.kind, payload: gate.payload },
      now,
    ),
  );
}

function describeRaise(current: Limits, raise: UpdateBudgetRequest): string {
  const money = (amount: number) => formatMoney(amount, current.currency);
  const parts: string[] = [];
  for (const name of AMOUNT_LIMITS) {
    const value = raise[name];
    if (value !== undefined)
      parts.push(`${name.replaceAll('_', ' ')} ${money(current[name])} → ${money(value)}`);
  }
  for (const [provider, cap] of Object.entries(raise.provider_caps ?? {})) {
    parts.push(`cap at ${provider} → ${money(cap)}`);
  }
  if (raise.velocity) {
    parts.push(`velocity ${raise.velocity.max_operations} operations per ${raise.velocity.window_seconds} s`);
  }
  return `Raise spend limits: ${parts.join('; ')}`;
}

/** What a human should weigh before approving this raise: more room to spend, fewer questions, or both. */
function raiseWarnings(current: Limits, raise: UpdateBudgetRequest): string[] {
  const { auto_approve_below: autoApprove, ...spendLimits } = raise;
  const warnings: string[] = [];
  if (!isEmpty(spendLimits)) {
    warnings.push('Agents and CI tokens of this account can spend up to the new limits without asking.');
  }
  if (autoApprove !== undefined) {
    warnings.push(
      `Refundable purchases quoted at or below ${formatMoney(autoApprove, current.currency)} ` +
        'will go through without asking anyone (non-refundable ones and look-alike names still ask).',
    );
  }
  return warnings;
}

/** Raising limits: APPROVAL_REQUIRED until a human approved exactly this raise; then it applies. */
export async function requestLimitRaise(
  ctx: SandboxContext,
  requester: Requester,
  current: Limits,
  raise: UpdateBudgetRequest,
): Promise<void> {
  if (isEmpty(raise)) return;
  await passGate(ctx, requester, {
    kind: 'budget_raise',
    title: describeRaise(current, raise),
    payload: { changes: raise },
    warnings: raiseWarnings(current, raise),
  });
}

/** Lifting the freeze: APPROVAL_REQUIRED until a human approved lifting this very freeze. */
export async function requestUnfreeze(ctx: SandboxContext, requester: Requester): Promise<FreezeState> {
  const state = await getFreezeState(ctx.storage, requester.userId);
  if (!state.frozen) return state;
  await passGate(ctx, requester, {
    kind: 'unfreeze',
    title: `Lift the spending freeze of ${state.frozen_at}${state.reason ? ` (${state.reason})` : ''}`,
    payload: { frozen_at: state.frozen_at },
    warnings: [
      'Payment tokens revoked by the freeze stay revoked and ended runs stay ended.',
      'Agents can spend again within the limits as soon as this is approved.',
    ],
  });
  return getFreezeState(ctx.storage, requester.userId);
}
