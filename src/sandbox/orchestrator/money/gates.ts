import { randomUUID } from 'node:crypto';
import { canonicalHash } from '../../../core/canonical-json.js';
import { formatMoney } from '../../../core/money.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { FreezeState, Limits, UpdateBudgetRequest } from '../../../protocol/money.js';
import type { SandboxContext } from '../../context.js';
import type { Db } from '../../db.js';
import { gateOnApproval, onApprovalDecided } from '../runs/index.js';
import { changeLimits, isEmpty } from './budget.js';
import { getFreezeState, unfreezeUser } from './freeze.js';

/**
 * The money module's human gates: raising a limit and lifting a freeze. Both become approvals (`apr_…`)
 * that only a human can decide, in the web page or with `projects approve` at a terminal; the change is
 * applied the moment the human approves (a decision listener), or when the same request is repeated after
 * the approval. What was asked is kept here, keyed by the approval, so the approval applies exactly that.
 */
export const GATES_MIGRATION = `CREATE TABLE money_gates (
  approval_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('budget_raise', 'unfreeze')),
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  applied_at INTEGER
)`;

interface Requester {
  userId: string;
  actor: string;
}

/** Makes the money module's approvals take effect when a human approves them. */
export function applyGatesOnApproval(ctx: SandboxContext): void {
  for (const kind of ['budget_raise', 'unfreeze'] as const) {
    onApprovalDecided(ctx, kind, (_ctx, approval) => {
      if (approval.status !== 'approved') return;
      const userId = applyGate(ctx, approval.id, approval.decided_by ?? 'human');
      // The decision is used up by this change: asking for the same change again needs a new approval.
      if (userId) {
        const input = { userId, kind, title: approval.title, planHash: approval.plan_hash };
        gateOnApproval(ctx, input, [], oneUseClaim(kind));
      }
    });
  }
}

interface GateRow {
  approval_id: string;
  user_id: string;
  kind: 'budget_raise' | 'unfreeze';
  payload: string;
  applied_at: number | null;
}

/**
 * Applies an approved gate once: the stored raise, or the lift of the very freeze it was asked for.
 * Returns the user it applied for, or undefined when there was nothing (left) to apply.
 */
function applyGate(ctx: SandboxContext, approvalId: string, decidedBy: string): string | undefined {
  return ctx.db
    .transaction(() => {
      const gate = ctx.db.prepare('SELECT * FROM money_gates WHERE approval_id = ?').get(approvalId) as
        | GateRow
        | undefined;
      if (!gate || gate.applied_at !== null) return undefined;
      const now = ctx.now();
      ctx.db.prepare('UPDATE money_gates SET applied_at = ? WHERE approval_id = ?').run(now, approvalId);
      const payload = JSON.parse(gate.payload) as {
        changes?: UpdateBudgetRequest;
        frozen_at?: string | null;
      };
      if (gate.kind === 'budget_raise' && payload.changes) {
        changeLimits(ctx.db, {
          userId: gate.user_id,
          actor: decidedBy,
          changes: payload.changes,
          approvalId,
          now,
        });
      } else if (
        gate.kind === 'unfreeze' &&
        getFreezeState(ctx.db, gate.user_id).frozen_at === payload.frozen_at
      ) {
        unfreezeUser(ctx.db, { userId: gate.user_id, actor: decidedBy, approvalId, now });
      }
      return gate.user_id;
    })
    .immediate();
}

/**
 * Passes the request through its gate: creates (or finds) the approval and records what it would apply.
 * Throws APPROVAL_REQUIRED / APPROVAL_DENIED until a human approved; once approved, applies it.
 */
function passGate(
  ctx: SandboxContext,
  requester: Requester,
  gate: { kind: GateRow['kind']; title: string; payload: Record<string, unknown>; warnings: string[] },
): void {
  const planHash = canonicalHash({ kind: gate.kind, user: requester.userId, ...gate.payload });
  try {
    const approval = gateOnApproval(
      ctx,
      { userId: requester.userId, kind: gate.kind, title: gate.title, planHash, warnings: gate.warnings },
      [gate.title],
      oneUseClaim(gate.kind),
    );
    remember(ctx.db, approval.id, requester.userId, gate, ctx.now());
    applyGate(ctx, approval.id, approval.decided_by ?? requester.actor);
  } catch (error) {
    const approvalId = error instanceof ProjectsError ? error.details?.approval_id : undefined;
    if (typeof approvalId === 'string') remember(ctx.db, approvalId, requester.userId, gate, ctx.now());
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
  db: Db,
  approvalId: string,
  userId: string,
  gate: { kind: string; payload: unknown },
  now: number,
): void {
  db.prepare(
    'INSERT OR IGNORE INTO money_gates (approval_id, user_id, kind, payload, created_at) VALUES (?, ?, ?, ?, ?)',
  ).run(approvalId, userId, gate.kind, JSON.stringify(gate.payload), now);
}

function describeRaise(current: Limits, raise: UpdateBudgetRequest): string {
  const money = (amount: number) => formatMoney(amount, current.currency);
  const parts: string[] = [];
  for (const name of ['global_monthly_cap', 'provider_monthly_cap', 'per_invocation_ceiling'] as const) {
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

/** Raising limits: APPROVAL_REQUIRED until a human approved exactly this raise; then it applies. */
export function requestLimitRaise(
  ctx: SandboxContext,
  requester: Requester,
  current: Limits,
  raise: UpdateBudgetRequest,
): void {
  if (isEmpty(raise)) return;
  passGate(ctx, requester, {
    kind: 'budget_raise',
    title: describeRaise(current, raise),
    payload: { changes: raise },
    warnings: ['Agents and CI tokens of this account can spend up to the new limits without asking.'],
  });
}

/** Lifting the freeze: APPROVAL_REQUIRED until a human approved lifting this very freeze. */
export function requestUnfreeze(ctx: SandboxContext, requester: Requester): FreezeState {
  const state = getFreezeState(ctx.db, requester.userId);
  if (!state.frozen) return state;
  passGate(ctx, requester, {
    kind: 'unfreeze',
    title: `Lift the spending freeze of ${state.frozen_at}${state.reason ? ` (${state.reason})` : ''}`,
    payload: { frozen_at: state.frozen_at },
    warnings: [
      'Payment tokens revoked by the freeze stay revoked and ended runs stay ended.',
      'Agents can spend again within the limits as soon as this is approved.',
    ],
  });
  return getFreezeState(ctx.db, requester.userId);
}
