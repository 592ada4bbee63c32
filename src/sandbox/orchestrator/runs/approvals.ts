import { moneyOrNull } from '../../../core/money.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { Approval, ApprovalStatus, Money } from '../../../protocol/orchestrator.js';
import type { SandboxContext } from '../../context.js';
import { appendAudit } from '../audit/chain.js';
import { assertNotFrozen } from '../money/freeze.js';
import type { OrchestratorStorage } from '../storage/unit-of-work.js';
import { newId } from './ids.js';
import type { ApprovalRecord } from './repository.js';

/**
 * Approvals (`apr_…`): the human gates of DESIGN.md §3. Each is bound to a plan hash, so a rerun of the
 * exact same plan finds the decision and a changed plan (another price, another name) needs a new one.
 * Other modules gate their own actions (budget raises, unfreeze, token creation) with `gateOnApproval`.
 */
/** How long a pending approval waits for a human before it expires. */
export const APPROVAL_TTL_MS = 24 * 60 * 60 * 1000;

export interface ApprovalInput {
  userId: string;
  kind: string;
  title: string;
  planHash: string;
  projectId?: string | null;
  runId?: string | null;
  provider?: string | null;
  service?: string | null;
  nameAsked?: string | null;
  nameOffered?: string | null;
  price?: Money | null;
  billing?: 'free' | 'one_time' | 'recurring' | null;
  refundable?: boolean;
  warnings?: string[];
  /** Text the human must type to approve (the exact item name for non-refundable purchases). */
  confirmation?: string | null;
}

export interface Decision {
  decision: 'approved' | 'denied';
  /** `human:<email>` */
  actor: string;
  via: 'web' | 'cli';
  confirmation?: string | undefined;
  reason?: string | undefined;
}

type DecisionListener = (ctx: SandboxContext, approval: Approval) => void | Promise<void>;

/** Per sandbox, so that several sandboxes in one process (tests) never call each other's listeners. */
const listeners = new WeakMap<OrchestratorStorage, Map<string, DecisionListener[]>>();

/**
 * Lets a module act when a human decides one of its approvals (e.g. lift a freeze at once). Register it
 * from the module's `register(app, ctx)`; the listener runs right after the decision is recorded, and the
 * decision is answered once it finished.
 */
export function onApprovalDecided(ctx: SandboxContext, kind: string, listener: DecisionListener): void {
  const byKind = listeners.get(ctx.storage) ?? new Map<string, DecisionListener[]>();
  byKind.set(kind, [...(byKind.get(kind) ?? []), listener]);
  listeners.set(ctx.storage, byKind);
}

function newApproval(ctx: SandboxContext, input: ApprovalInput): ApprovalRecord {
  const now = ctx.now();
  return {
    id: newId('apr'),
    user_id: input.userId,
    status: 'pending',
    kind: input.kind,
    title: input.title,
    project_id: input.projectId ?? null,
    run_id: input.runId ?? null,
    provider: input.provider ?? null,
    service: input.service ?? null,
    name_asked: input.nameAsked ?? null,
    name_offered: input.nameOffered ?? null,
    price_amount: input.price?.amount ?? null,
    price_currency: input.price?.currency ?? null,
    billing: input.billing ?? null,
    refundable: input.refundable !== false,
    warnings: input.warnings ?? [],
    plan_hash: input.planHash,
    confirmation: input.confirmation ?? null,
    created_at: new Date(now).toISOString(),
    expires_at: new Date(now + APPROVAL_TTL_MS).toISOString(),
    decided_by: null,
    decided_via: null,
    decided_at: null,
    reason: null,
    consumed_at: null,
  };
}

export async function createApproval(ctx: SandboxContext, input: ApprovalInput): Promise<Approval> {
  const record = newApproval(ctx, input);
  await ctx.storage.transaction((tx) => tx.approvals.insert(record));
  return toApproval(ctx, record);
}

/**
 * The gate: returns the approved, unconsumed approval of this exact plan, or throws. A pending one
 * answers APPROVAL_REQUIRED with its id and page; a denied one APPROVAL_DENIED; none (or an expired
 * one) creates a new pending approval and answers APPROVAL_REQUIRED. One unit of work, so that
 * concurrent reruns of the same plan share one approval. With `claimFor`, an approved approval is
 * consumed in the same unit, so two concurrent actions can never both spend one human decision.
 * A `tentative` claim stays usable by the same claimant until `settleApproval` (or `releaseApproval`).
 */
export async function gateOnApproval(
  ctx: SandboxContext,
  input: ApprovalInput,
  reasons: string[],
  claimFor?: string,
  claimKind: 'final' | 'tentative' = 'final',
): Promise<Approval> {
  const found = await ctx.storage.transaction(async (tx) => {
    const now = new Date(ctx.now()).toISOString();
    await tx.approvals.expireOverdue(now);
    // An approval this very request claimed tentatively before its process died is still its own.
    const record = await tx.approvals.findUsable(input.userId, input.planHash, claimFor ?? null);
    if (!record) {
      const created = newApproval(ctx, input);
      await tx.approvals.insert(created);
      return created;
    }
    if (record.status === 'approved' && claimFor !== undefined) {
      await tx.approvals.claim(record.id, claimFor, claimKind === 'final', now);
    }
    return record;
  });
  const approval = toApproval(ctx, found);
  if (approval.status === 'approved') return approval;
  if (approval.status === 'denied') {
    throw new ProjectsError(
      'APPROVAL_DENIED',
      `${approval.decided_by ?? 'a human'} denied this: ${approval.title}`,
      {
        httpStatus: 403,
        details: { approval_id: approval.id, url: approval.url, reason: approval.reason },
      },
    );
  }
  throw approvalRequired(approval, reasons);
}

function approvalRequired(approval: Approval, reasons: string[]): ProjectsError {
  return new ProjectsError('APPROVAL_REQUIRED', `a human must approve this first: ${approval.title}`, {
    httpStatus: 403,
    details: { approval_id: approval.id, url: approval.url, plan_hash: approval.plan_hash, reasons },
    next: [
      {
        command: `projects approve ${approval.id}`,
        why: 'a human approves at a terminal (or in the web page)',
      },
    ],
  });
}

/** Makes a tentative claim final: the action it allowed is done, so nobody can use the approval again. */
export function settleApproval(store: OrchestratorStorage, id: string): Promise<void> {
  return store.transaction((tx) => tx.approvals.settle(id));
}

/** Gives a claimed approval back when the action it allowed failed before buying anything. */
export function releaseApproval(store: OrchestratorStorage, id: string): Promise<void> {
  return store.transaction((tx) => tx.approvals.release(id));
}

export async function getApproval(ctx: SandboxContext, userId: string, id: string): Promise<Approval> {
  const record = await ctx.storage.transaction(async (tx) => {
    await tx.approvals.expireOverdue(new Date(ctx.now()).toISOString());
    return tx.approvals.find(userId, id);
  });
  if (!record) throw new ProjectsError('NOT_FOUND', `no approval '${id}'`, { httpStatus: 404 });
  return toApproval(ctx, record);
}

export async function listApprovals(
  ctx: SandboxContext,
  userId: string,
  filter: { status?: ApprovalStatus | undefined; projectId?: string | undefined } = {},
): Promise<Approval[]> {
  const records = await ctx.storage.transaction(async (tx) => {
    await tx.approvals.expireOverdue(new Date(ctx.now()).toISOString());
    return tx.approvals.list(userId, filter);
  });
  return records.map((record) => toApproval(ctx, record));
}

/**
 * Records a human's decision. Only a pending approval can be decided; approving one that asks for a
 * confirmation needs the exact text typed (no trimming or case folding: `superseal.cc` ≠ `superseal.club`).
 * The checks, the decision and its audit event are one unit: of two concurrent decisions exactly one
 * lands, and the freeze is checked inside it so that no approval of a spend can land after a freeze
 * committed. The module's listeners run once the decision committed.
 */
export async function decideApproval(
  ctx: SandboxContext,
  userId: string,
  id: string,
  decision: Decision,
): Promise<Approval> {
  const decided = await ctx.storage.transaction(async (tx) => {
    const at = new Date(ctx.now()).toISOString();
    await tx.approvals.expireOverdue(at);
    const record = await tx.approvals.find(userId, id);
    if (!record) throw new ProjectsError('NOT_FOUND', `no approval '${id}'`, { httpStatus: 404 });
    assertDecidable(record, decision);
    // Frozen means no spending at all: only the unfreeze gate itself can still be approved.
    if (decision.decision === 'approved' && record.kind !== 'unfreeze') await assertNotFrozen(tx, userId);
    const outcome = { by: decision.actor, via: decision.via, at, reason: decision.reason ?? null };
    await tx.approvals.decide(id, { status: decision.decision, ...outcome });
    const approval = toApproval(ctx, {
      ...record,
      status: decision.decision,
      decided_by: outcome.by,
      decided_via: outcome.via,
      decided_at: outcome.at,
      reason: outcome.reason,
    });
    await appendAudit(tx, {
      userId,
      actor: decision.actor,
      runId: approval.run_id,
      projectId: approval.project_id,
      action: `approval.${decision.decision === 'approved' ? 'approve' : 'deny'}`,
      subject: id,
      price: approval.price,
      result: 'ok',
      details: { kind: approval.kind, via: decision.via, plan_hash: approval.plan_hash },
      now: ctx.now(),
    });
    return approval;
  });
  for (const listener of listeners.get(ctx.storage)?.get(decided.kind) ?? []) await listener(ctx, decided);
  return decided;
}

function assertDecidable(record: ApprovalRecord, decision: Decision): void {
  if (record.status !== 'pending') {
    throw new ProjectsError('INVALID_ARGUMENT', `approval ${record.id} is already ${record.status}`, {
      httpStatus: 409,
      details: { approval_id: record.id, status: record.status },
    });
  }
  if (decision.decision === 'approved' && record.confirmation !== null) {
    if (decision.confirmation !== record.confirmation) {
      throw new ProjectsError('INVALID_ARGUMENT', 'type the exact name to approve this purchase', {
        httpStatus: 422,
        details: { approval_id: record.id, expected: 'confirmation equal to the item name' },
      });
    }
  }
}

function toApproval(ctx: SandboxContext, record: ApprovalRecord): Approval {
  return {
    id: record.id,
    status: record.status,
    kind: record.kind,
    title: record.title,
    project_id: record.project_id,
    run_id: record.run_id,
    provider: record.provider,
    service: record.service,
    name_asked: record.name_asked,
    name_offered: record.name_offered,
    price: moneyOrNull(record.price_amount, record.price_currency),
    billing: record.billing,
    refundable: record.refundable,
    warnings: record.warnings,
    plan_hash: record.plan_hash,
    confirmation: record.confirmation,
    url: `${ctx.baseUrl()}/approvals/${record.id}`,
    created_at: record.created_at,
    expires_at: record.expires_at,
    decided_by: record.decided_by,
    decided_via: record.decided_via,
    decided_at: record.decided_at,
    reason: record.reason,
  };
}
