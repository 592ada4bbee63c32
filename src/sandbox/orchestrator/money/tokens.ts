import { createHmac, timingSafeEqual } from 'node:crypto';
import { ProjectsError } from '../../../protocol/errors.js';
import type { CaptureRequest, CaptureResponse } from '../../../protocol/money.js';
import type { Db } from '../../db.js';
import { type AuditInput, appendAudit } from '../audit/chain.js';
import { newId } from '../runs/ids.js';
import { assertWithinRun } from './budget-runs.js';
import { isoTime, monthOf, spendRefusal } from './format.js';
import { assertNotFrozen } from './freeze.js';
import { idempotentSync } from './idempotency.js';
import {
  assertWithinCaps,
  assertWithinInvocationCeiling,
  assertWithinVelocity,
  type Charge,
  getLimits,
} from './limits.js';

/**
 * Payment tokens (`spt_…`) and their capture. Issuing one reserves its `max_amount` against every limit;
 * capturing converts the reservation into a charge of the captured amount and releases the rest. Both run
 * in one IMMEDIATE transaction each, so limits hold under any concurrency.
 *
 * The token handed to a provider is `<id>_<mac>`: the MAC (HMAC of the id under a key kept in the database)
 * makes it unguessable without storing the bearer value itself, and lets an idempotent replay of an issue
 * hand back the same token.
 */
export const DEFAULT_TOKEN_TTL_MINUTES = 15;

export interface IssuePaymentTokenInput {
  userId: string;
  /** Principal.actor of whoever triggered the purchase, for the audit log. */
  actor: string;
  projectId: string | null;
  runId?: string | null | undefined;
  providerId: string;
  maxAmount: number;
  currency: string;
  /** Derived from project, run and plan step; a repeat returns the first token (replayed: true). */
  idempotencyKey: string;
  description?: string | undefined;
  expiresInMinutes?: number | undefined;
  now?: number | undefined;
}

export interface IssuedPaymentToken {
  id: string;
  /** The bearer value for `payment_credentials.token`; hand it only to the provider. */
  token: string;
  provider_id: string;
  max_amount: number;
  currency: string;
  run_id: string | null;
  expires_at: string;
  replayed: boolean;
}

interface TokenRow {
  id: string;
  user_id: string;
  project_id: string | null;
  run_id: string | null;
  provider_id: string;
  max_amount: number;
  currency: string;
  status: 'active' | 'captured' | 'revoked';
  expires_at: number;
  revoke_reason: string | null;
}

function tokenMac(db: Db, id: string): string {
  const key = db.prepare(`SELECT value FROM money_keys WHERE name = 'payment_token'`).get() as {
    value: string;
  };
  return createHmac('sha256', Buffer.from(key.value, 'hex')).update(id).digest('hex');
}

function findToken(db: Db, value: string): TokenRow | undefined {
  const match = /^(spt_[0-9a-f]{32})_([0-9a-f]{64})$/.exec(value);
  if (!match?.[1] || !match[2]) return undefined;
  const expected = Buffer.from(tokenMac(db, match[1]), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(match[2], 'hex'))) return undefined;
  return db.prepare('SELECT * FROM money_tokens WHERE id = ?').get(match[1]) as TokenRow | undefined;
}

function assertPositiveAmount(amount: number): void {
  if (Number.isSafeInteger(amount) && amount > 0) return;
  throw new ProjectsError(
    'INVALID_ARGUMENT',
    `max_amount must be a positive integer in minor units, got ${amount}`,
    {
      httpStatus: 400,
    },
  );
}

function assertSupportedCurrency(db: Db, userId: string, currency: string): void {
  const billed = getLimits(db, userId).currency;
  if (currency !== billed) {
    throw new ProjectsError('INVALID_ARGUMENT', `this account is billed in '${billed}', not '${currency}'`, {
      httpStatus: 400,
    });
  }
}

/** Every limit a charge must fit in: the run's budget (or the per-invocation ceiling), then the caps. */
function assertChargeAllowed(db: Db, charge: Charge): void {
  const limits = getLimits(db, charge.userId);
  if (charge.runId) assertWithinRun(db, { ...charge, runId: charge.runId });
  else assertWithinInvocationCeiling(limits, charge);
  assertWithinCaps(db, limits, charge);
}

/** Records a refused spend attempt in the audit log; the refused transaction itself rolled back. */
function auditRefusal(db: Db, error: unknown, event: Omit<AuditInput, 'result'>): void {
  if (error instanceof ProjectsError)
    appendAudit(db, { ...event, result: error.code, details: { message: error.message } });
}

function issue(
  db: Db,
  input: IssuePaymentTokenInput,
  now: number,
): Omit<IssuedPaymentToken, 'token' | 'replayed'> {
  assertNotFrozen(db, input.userId);
  assertPositiveAmount(input.maxAmount);
  assertSupportedCurrency(db, input.userId, input.currency);
  const charge: Charge = {
    userId: input.userId,
    providerId: input.providerId,
    projectId: input.projectId,
    runId: input.runId ?? null,
    amount: input.maxAmount,
    currency: input.currency,
    now,
  };
  assertChargeAllowed(db, charge);
  assertWithinVelocity(db, getLimits(db, input.userId), charge);
  const id = newId('spt');
  const expiresAt = now + (input.expiresInMinutes ?? DEFAULT_TOKEN_TTL_MINUTES) * 60_000;
  db.prepare(
    `INSERT INTO money_tokens (id, user_id, project_id, run_id, provider_id, max_amount, currency, description,
       status, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)`,
  ).run(
    id,
    input.userId,
    input.projectId,
    charge.runId,
    input.providerId,
    input.maxAmount,
    input.currency,
    input.description ?? null,
    now,
    expiresAt,
  );
  appendAudit(db, {
    userId: input.userId,
    actor: input.actor,
    runId: charge.runId,
    projectId: input.projectId,
    action: 'payment_token.issue',
    subject: id,
    price: { amount: input.maxAmount, currency: input.currency },
    result: 'ok',
    details: { provider: input.providerId, expires_at: isoTime(expiresAt) },
    now,
  });
  return {
    id,
    provider_id: input.providerId,
    max_amount: input.maxAmount,
    currency: input.currency,
    run_id: charge.runId,
    expires_at: isoTime(expiresAt),
  };
}

/**
 * Issues a payment token for one purchase, reserving `maxAmount` against the run budget (or the
 * per-invocation ceiling), the provider's monthly cap, the global cap and the velocity limit.
 * Throws FROZEN, BUDGET_EXCEEDED, CAP_EXCEEDED, VELOCITY_LIMITED or IDEMPOTENCY_CONFLICT.
 */
export function issuePaymentToken(db: Db, input: IssuePaymentTokenInput): IssuedPaymentToken {
  const now = input.now ?? Date.now();
  const { idempotencyKey, actor, now: _now, expiresInMinutes, ...body } = input;
  try {
    const { result, replayed } = idempotentSync(
      db,
      { scope: `payment_token:${input.userId}`, key: idempotencyKey, body, now },
      () => issue(db, input, now),
    );
    return { ...result, token: `${result.id}_${tokenMac(db, result.id)}`, replayed };
  } catch (error) {
    auditRefusal(db, error, {
      userId: input.userId,
      actor,
      runId: input.runId ?? null,
      projectId: input.projectId,
      action: 'payment_token.issue',
      price: { amount: input.maxAmount, currency: input.currency },
      now,
    });
    throw error;
  }
}

function declined(reason: string, details: Record<string, unknown> = {}): ProjectsError {
  return spendRefusal('PAYMENT_DECLINED', reason, details);
}

function usableToken(db: Db, providerId: string, request: CaptureRequest, now: number): TokenRow {
  const token = findToken(db, request.token);
  if (!token || token.provider_id !== providerId) throw declined('unknown payment token for this provider');
  assertNotFrozen(db, token.user_id);
  if (token.status === 'captured')
    throw declined(`payment token ${token.id} was already used`, { token_id: token.id });
  if (token.status === 'revoked') {
    throw declined(`payment token ${token.id} was revoked (${token.revoke_reason})`, { token_id: token.id });
  }
  if (token.expires_at <= now)
    throw declined(`payment token ${token.id} has expired`, { token_id: token.id });
  if (request.currency !== token.currency) {
    throw declined(`payment token ${token.id} is for '${token.currency}', not '${request.currency}'`, {
      token_id: token.id,
    });
  }
  if (request.amount > token.max_amount) {
    throw declined(`amount ${request.amount} is over the token's max_amount ${token.max_amount}`, {
      token_id: token.id,
      max_amount: token.max_amount,
    });
  }
  return token;
}

function charge(
  db: Db,
  providerId: string,
  request: CaptureRequest,
  now: number,
): Omit<CaptureResponse, 'replayed'> {
  const token = usableToken(db, providerId, request, now);
  // Limits may have been lowered since the token was issued; lowering applies at once.
  assertChargeAllowed(db, {
    userId: token.user_id,
    providerId,
    projectId: token.project_id,
    runId: token.run_id,
    amount: request.amount,
    currency: request.currency,
    excludeTokenId: token.id,
    now,
  });
  const captureId = newId('cap');
  db.prepare(
    `INSERT INTO money_captures (id, token_id, user_id, provider_id, project_id, run_id, amount, currency, month,
       description, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    captureId,
    token.id,
    token.user_id,
    providerId,
    token.project_id,
    token.run_id,
    request.amount,
    request.currency,
    monthOf(now),
    request.description ?? null,
    now,
  );
  db.prepare(`UPDATE money_tokens SET status = 'captured' WHERE id = ?`).run(token.id);
  appendAudit(db, {
    userId: token.user_id,
    actor: `provider:${providerId}`,
    runId: token.run_id,
    projectId: token.project_id,
    action: 'capture',
    subject: captureId,
    price: { amount: request.amount, currency: request.currency },
    result: 'ok',
    details: {
      token_id: token.id,
      released: token.max_amount - request.amount,
      description: request.description ?? null,
    },
    now,
  });
  return { capture_id: captureId, amount: request.amount, currency: request.currency };
}

/**
 * A provider redeems a payment token (the provider's signature was checked by the route). Exactly once per
 * idempotency key: a repeat with the same body returns the first capture with `replayed: true`.
 */
export function capturePayment(
  db: Db,
  providerId: string,
  request: CaptureRequest,
  now: number,
): CaptureResponse {
  const { request_id: _fresh, ...body } = request;
  try {
    const { result, replayed } = idempotentSync(
      db,
      { scope: `capture:${providerId}`, key: request.idempotency_key, body, now },
      () => charge(db, providerId, request, now),
    );
    return { ...result, replayed };
  } catch (error) {
    const token = findToken(db, request.token);
    auditRefusal(db, error, {
      userId: token?.user_id ?? null,
      actor: `provider:${providerId}`,
      runId: token?.run_id ?? null,
      projectId: token?.project_id ?? null,
      action: 'capture',
      subject: token?.id ?? null,
      price: { amount: request.amount, currency: request.currency },
      now,
    });
    throw error;
  }
}

/** Revokes one outstanding token (e.g. the provider failed and the purchase is abandoned). */
export function revokePaymentToken(
  db: Db,
  input: { userId: string; actor: string; tokenId: string; reason: string; now: number },
): boolean {
  return db
    .transaction(() => {
      const changed = db
        .prepare(
          `UPDATE money_tokens SET status = 'revoked', revoked_at = ?, revoke_reason = ?
           WHERE id = ? AND user_id = ? AND status = 'active'`,
        )
        .run(input.now, input.reason, input.tokenId, input.userId).changes;
      if (changed) {
        appendAudit(db, {
          userId: input.userId,
          actor: input.actor,
          action: 'payment_token.revoke',
          subject: input.tokenId,
          result: 'ok',
          details: { reason: input.reason },
          now: input.now,
        });
      }
      return changed > 0;
    })
    .immediate();
}
