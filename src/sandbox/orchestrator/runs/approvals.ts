import { ProjectsError } from '../../../protocol/errors.js';
import type { Approval, ApprovalStatus, Money } from '../../../protocol/orchestrator.js';
import type { SandboxContext } from '../../context.js';
import type { Db } from '../../db.js';
import { appendAudit } from '../audit/chain.js';
import { assertNotFrozen } from '../money/freeze.js';
import { newId } from './ids.js';

/**
 * Approvals (`apr_…`): the human gates of DESIGN.md §3. Each is bound to a plan hash, so a rerun of the
 * exact same plan finds the decision and a changed plan (another price, another name) needs a new one.
 * Other modules gate their own actions (budget raises, unfreeze, token creation) with `gateOnApproval`.
 */
export const APPROVALS_MIGRATION = `
CREATE TABLE runs_approvals (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  status TEXT NOT NULL,
  kind TEXT NOT NULL,
  title TEXT NOT NULL,
  project_id TEXT,
  run_id TEXT,
  provider TEXT,
  service TEXT,
  name_asked TEXT,
  name_offered TEXT,
  price_amount INTEGER,
  price_currency TEXT,
  billing TEXT,
  refundable INTEGER NOT NULL,
  warnings TEXT NOT NULL,
  plan_hash TEXT NOT NULL,
  confirmation TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  decided_by TEXT,
  decided_via TEXT,
  decided_at TEXT,
  reason TEXT,
  consumed_at TEXT,
  consumed_by TEXT
);
CREATE INDEX runs_approvals_plan ON runs_approvals (user_id, plan_hash);
CREATE INDEX runs_approvals_user_status ON runs_approvals (user_id, status)`;

/**
 * A claim is final unless the claimant says it is tentative (a purchase whose outcome may still be
 * unknown): only an unsettled claim can be picked up again by the same claimant, e.g. a rerun after a crash.
 */
export const APPROVAL_CLAIMS_MIGRATION =
  'ALTER TABLE runs_approvals ADD COLUMN claim_settled INTEGER NOT NULL DEFAULT 1';

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

interface ApprovalRow {
  id: string;
  user_id: string;
  status: ApprovalStatus;
  kind: string;
  title: string;
  project_id: string | null;
  run_id: string | null;
  provider: string | null;
  service: string | null;
  name_asked: string | null;
  name_offered: string | null;
  price_amount: number | null;
  price_currency: string | null;
  billing: 'free' | 'one_time' | 'recurring' | null;
  refundable: number;
  warnings: string;
  plan_hash: string;
  confirmation: string | null;
  created_at: string;
  expires_at: string;
  decided_by: string | null;
  decided_via: 'web' | 'cli' | null;
  decided_at: string | null;
  reason: string | null;
  consumed_at: string | null;
}

/** Per database, so that several sandboxes in one process (tests) never call each other's listeners. */
const listeners = new WeakMap<Db, Map<string, DecisionListener[]>>();

/**
 * Lets a module act when a human decides one of its approvals (e.g. lift a freeze at once). Register it
 * from the module's `register(app, ctx)`; the listener runs right after the decision is recorded, and the
 * decision is answered once it finished.
 */
export function onApprovalDecided(ctx: SandboxContext, kind: string, listener: DecisionListener): void {
  const byKind = listeners.get(ctx.db) ?? new Map<string, DecisionListener[]>();
  byKind.set(kind, [...(byKind.get(kind) ?? []), listener]);
  listeners.set(ctx.db, byKind);
}

export function createApproval(ctx: SandboxContext, input: ApprovalInput): Approval {
  const now = ctx.now();
  const row: ApprovalRow = {
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
    refundable: input.refundable === false ? 0 : 1,
    warnings: JSON.stringify(input.warnings ?? []),
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
  const columns = Object.keys(row);
  ctx.db
    .prepare(
      `INSERT INTO runs_approvals (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
    )
    .run(row);
  return toApproval(ctx, row);
}

/**
 * The gate: returns the approved, unconsumed approval of this exact plan, or throws. A pending one
 * answers APPROVAL_REQUIRED with its id and page; a denied one APPROVAL_DENIED; none (or an expired
 * one) creates a new pending approval and answers APPROVAL_REQUIRED. Runs in one transaction so that
 * concurrent reruns of the same plan share one approval. With `claimFor`, an approved approval is
 * consumed in the same transaction, so two concurrent actions can never both spend one human decision.
 * A `tentative` claim stays usable by the same claimant until `settleApproval` (or `releaseApproval`).
 */
export function gateOnApproval(
  ctx: SandboxContext,
  input: ApprovalInput,
  reasons: string[],
  claimFor?: string,
  claimKind: 'final' | 'tentative' = 'final',
): Approval {
  const found = ctx.db
    .transaction(() => {
      expireOverdue(ctx);
      const row = ctx.db
        // An approval this very request claimed tentatively before its process died is still its own.
        .prepare(
          `SELECT * FROM runs_approvals WHERE user_id = ? AND plan_hash = ?
           AND (consumed_at IS NULL OR (consumed_by = ? AND claim_settled = 0)) AND status != 'expired'
           ORDER BY created_at DESC LIMIT 1`,
        )
        .get(input.userId, input.planHash, claimFor ?? null) as ApprovalRow | undefined;
      if (!row) return createApproval(ctx, input);
      if (row.status === 'approved' && claimFor !== undefined) claim(ctx, row.id, claimFor, claimKind);
      return toApproval(ctx, row);
    })
    .immediate();
  if (found.status === 'approved') return found;
  if (found.status === 'denied') {
    throw new ProjectsError(
      'APPROVAL_DENIED',
      `${found.decided_by ?? 'a human'} denied this: ${found.title}`,
      {
        httpStatus: 403,
        details: { approval_id: found.id, url: found.url, reason: found.reason },
      },
    );
  }
  throw approvalRequired(found, reasons);
}

export function approvalRequired(approval: Approval, reasons: string[]): ProjectsError {
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

function claim(ctx: SandboxContext, id: string, consumer: string, kind: 'final' | 'tentative'): void {
  ctx.db
    .prepare(
      `UPDATE runs_approvals SET consumed_at = ?, consumed_by = ?, claim_settled = ?
       WHERE id = ? AND (consumed_at IS NULL OR (consumed_by = ? AND claim_settled = 0))`,
    )
    .run(new Date(ctx.now()).toISOString(), consumer, kind === 'final' ? 1 : 0, id, consumer);
}

/** Makes a tentative claim final: the action it allowed is done, so nobody can use the approval again. */
export function settleApproval(db: Db, id: string): void {
  db.prepare('UPDATE runs_approvals SET claim_settled = 1 WHERE id = ?').run(id);
}

/** Gives a claimed approval back when the action it allowed failed before buying anything. */
export function releaseApproval(db: Db, id: string): void {
  db.prepare(
    'UPDATE runs_approvals SET consumed_at = NULL, consumed_by = NULL, claim_settled = 1 WHERE id = ?',
  ).run(id);
}

export function getApproval(ctx: SandboxContext, userId: string, id: string): Approval {
  expireOverdue(ctx);
  const row = ctx.db.prepare('SELECT * FROM runs_approvals WHERE id = ? AND user_id = ?').get(id, userId) as
    | ApprovalRow
    | undefined;
  if (!row) throw new ProjectsError('NOT_FOUND', `no approval '${id}'`, { httpStatus: 404 });
  return toApproval(ctx, row);
}

export function listApprovals(
  ctx: SandboxContext,
  userId: string,
  filter: { status?: ApprovalStatus | undefined; projectId?: string | undefined } = {},
): Approval[] {
  expireOverdue(ctx);
  const rows = ctx.db
    .prepare(
      `SELECT * FROM runs_approvals WHERE user_id = @userId
         AND (@status IS NULL OR status = @status) AND (@projectId IS NULL OR project_id = @projectId)
       ORDER BY created_at DESC, id`,
    )
    .all({ userId, status: filter.status ?? null, projectId: filter.projectId ?? null }) as ApprovalRow[];
  return rows.map((row) => toApproval(ctx, row));
}

/**
 * Records a human's decision. Only a pending approval can be decided; approving one that asks for a
 * confirmation needs the exact text typed (no trimming or case folding: `superseal.cc` ≠ `superseal.club`).
 */
export async function decideApproval(
  ctx: SandboxContext,
  userId: string,
  id: string,
  decision: Decision,
): Promise<Approval> {
  const approval = getApproval(ctx, userId, id);
  if (approval.status !== 'pending') {
    throw new ProjectsError('INVALID_ARGUMENT', `approval ${id} is already ${approval.status}`, {
      httpStatus: 409,
      details: { approval_id: id, status: approval.status },
    });
  }
  // Frozen means no spending at all: only the unfreeze gate itself can still be approved.
  if (decision.decision === 'approved' && approval.kind !== 'unfreeze')
    await assertNotFrozen(ctx.storage, userId);
  if (decision.decision === 'approved' && approval.confirmation !== null) {
    if (decision.confirmation !== approval.confirmation) {
      throw new ProjectsError('INVALID_ARGUMENT', 'type the exact name to approve this purchase', {
        httpStatus: 422,
        details: { approval_id: id, expected: 'confirmation equal to the item name' },
      });
    }
  }
  const decidedAt = new Date(ctx.now()).toISOString();
  const changed = ctx.db
    .prepare(
      `UPDATE runs_approvals SET status = ?, decided_by = ?, decided_via = ?, decided_at = ?, reason = ?
       WHERE id = ? AND status = 'pending'`,
    )
    .run(decision.decision, decision.actor, decision.via, decidedAt, decision.reason ?? null, id);
  // Lost a race with another decision: answer as for an already-decided approval.
  if (changed.changes === 0) return decideApproval(ctx, userId, id, decision);
  const decided = getApproval(ctx, userId, id);
  await appendAudit(ctx.storage, {
    userId,
    actor: decision.actor,
    runId: decided.run_id,
    projectId: decided.project_id,
    action: `approval.${decision.decision === 'approved' ? 'approve' : 'deny'}`,
    subject: id,
    price: decided.price,
    result: 'ok',
    details: { kind: decided.kind, via: decision.via, plan_hash: decided.plan_hash },
    now: ctx.now(),
  });
  for (const listener of listeners.get(ctx.db)?.get(decided.kind) ?? []) await listener(ctx, decided);
  return decided;
}

function expireOverdue(ctx: SandboxContext): void {
  ctx.db
    .prepare(`UPDATE runs_approvals SET status = 'expired' WHERE status = 'pending' AND expires_at <= ?`)
    .run(new Date(ctx.now()).toISOString());
}

function toApproval(ctx: SandboxContext, row: ApprovalRow): Approval {
  return {
    id: row.id,
    status: row.status,
    kind: row.kind,
    title: row.title,
    project_id: row.project_id,
    run_id: row.run_id,
    provider: row.provider,
    service: row.service,
    name_asked: row.name_asked,
    name_offered: row.name_offered,
    price:
      row.price_amount === null || row.price_currency === null
        ? null
        : { amount: row.price_amount, currency: row.price_currency },
    billing: row.billing,
    refundable: row.refundable === 1,
    warnings: JSON.parse(row.warnings) as string[],
    plan_hash: row.plan_hash,
    confirmation: row.confirmation,
    url: `${ctx.baseUrl()}/approvals/${row.id}`,
    created_at: row.created_at,
    expires_at: row.expires_at,
    decided_by: row.decided_by,
    decided_via: row.decided_via,
    decided_at: row.decided_at,
    reason: row.reason,
  };
}
