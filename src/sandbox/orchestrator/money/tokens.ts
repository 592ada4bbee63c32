import { createHmac, timingSafeEqual } from 'node:crypto';
import { ProjectsError } from '../../../protocol/errors.js';
import type { CaptureRequest, CaptureResponse, Limits } from '../../../protocol/money.js';
import type { SandboxContext } from '../../context.js';
import type { SealedColumn, SecretBox } from '../../secret-box.js';
import { type AuditInput, appendAudit } from '../audit/chain.js';
import { newId } from '../runs/ids.js';
import type { OrchestratorStorage, OrchestratorTx } from '../storage/unit-of-work.js';
import { assertWithinRun } from './budget-runs.js';
import { isoTime, monthOf, spendRefusal } from './format.js';
import { assertNotFrozen } from './freeze.js';
import { idempotentUnit } from './idempotency.js';
import {
  assertWithinCaps,
  assertWithinInvocationCeiling,
  assertWithinVelocity,
  type Charge,
  getLimits,
} from './limits.js';
import type { PaymentTokenRecord } from './repository.js';

/**
 * Payment tokens (`spt_…`) and their capture. Issuing one reserves its `max_amount` against every limit;
 * capturing converts the reservation into a charge of the captured amount and releases the rest. Both are
 * one unit of work each (checks, write and audit event together), so limits hold under any concurrency.
 *
 * The token handed to a provider is `<id>_<mac>`: the MAC (HMAC of the id under a key kept in the database,
 * sealed like every other secret the sandbox keeps) makes it unguessable without storing the bearer value
 * itself, and lets an idempotent replay of an issue hand back the same token.
 */
export const DEFAULT_TOKEN_TTL_MINUTES = 15;

/** The MAC key of payment tokens; created in clear by the first migration, sealed at start since. */
export const PAYMENT_TOKEN_KEY: SealedColumn = { table: 'money_keys', column: 'value' };

/** What issuing and capturing need: the storage, and the secret box that opens the MAC key. */
export type MoneyContext = Pick<SandboxContext, 'storage' | 'secrets'>;

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

async function tokenMac(tx: OrchestratorTx, secrets: SecretBox, id: string): Promise<string> {
  const key = secrets.open(await tx.ledger.tokenKey(), PAYMENT_TOKEN_KEY);
  return createHmac('sha256', Buffer.from(key, 'hex')).update(id).digest('hex');
}

async function findToken(
  tx: OrchestratorTx,
  secrets: SecretBox,
  value: string,
): Promise<PaymentTokenRecord | undefined> {
  const match = /^(spt_[0-9a-f]{32})_([0-9a-f]{64})$/.exec(value);
  if (!match?.[1] || !match[2]) return undefined;
  const expected = Buffer.from(await tokenMac(tx, secrets, match[1]), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(match[2], 'hex'))) return undefined;
  return tx.ledger.findToken(match[1]);
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

function assertSupportedCurrency(limits: Limits, currency: string): void {
  const billed = limits.currency;
  if (currency !== billed) {
    throw new ProjectsError('INVALID_ARGUMENT', `this account is billed in '${billed}', not '${currency}'`, {
      httpStatus: 400,
    });
  }
}

/** Every limit a charge must fit in: the run's budget (or the per-invocation ceiling), then the caps. */
async function assertChargeAllowed(tx: OrchestratorTx, limits: Limits, charge: Charge): Promise<void> {
  if (charge.runId) await assertWithinRun(tx, { ...charge, runId: charge.runId });
  else assertWithinInvocationCeiling(limits, charge);
  await assertWithinCaps(tx, limits, charge);
}

/** Records a refused spend attempt in the audit log; the refused unit itself rolled back. */
async function auditRefusal(
  store: OrchestratorStorage,
  error: unknown,
  event: Omit<AuditInput, 'result'>,
): Promise<void> {
  if (error instanceof ProjectsError)
    await appendAudit(store, { ...event, result: error.code, details: { message: error.message } });
}

async function issue(
  tx: OrchestratorTx,
  input: IssuePaymentTokenInput,
  now: number,
): Promise<Omit<IssuedPaymentToken, 'token' | 'replayed'>> {
  await assertNotFrozen(tx, input.userId);
  assertPositiveAmount(input.maxAmount);
  const limits = await getLimits(tx, input.userId);
  assertSupportedCurrency(limits, input.currency);
  const charge: Charge = {
    userId: input.userId,
    providerId: input.providerId,
    projectId: input.projectId,
    runId: input.runId ?? null,
    amount: input.maxAmount,
    currency: input.currency,
    now,
  };
  await assertChargeAllowed(tx, limits, charge);
  await assertWithinVelocity(tx, limits, charge);
  const id = newId('spt');
  const expiresAt = now + (input.expiresInMinutes ?? DEFAULT_TOKEN_TTL_MINUTES) * 60_000;
  await tx.ledger.insertToken({
    id,
    user_id: input.userId,
    project_id: input.projectId,
    run_id: charge.runId,
    provider_id: input.providerId,
    max_amount: input.maxAmount,
    currency: input.currency,
    description: input.description ?? null,
    created_at: now,
    expires_at: expiresAt,
  });
  await appendAudit(tx, {
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
export async function issuePaymentToken(
  { storage: store, secrets }: MoneyContext,
  input: IssuePaymentTokenInput,
): Promise<IssuedPaymentToken> {
  const now = input.now ?? Date.now();
  const { idempotencyKey, actor, now: _now, expiresInMinutes, ...body } = input;
  try {
    return await store.transaction(async (tx) => {
      const { result, replayed } = await idempotentUnit(
        tx,
        { scope: `payment_token:${input.userId}`, key: idempotencyKey, body, now },
        (unit) => issue(unit, input, now),
      );
      return { ...result, token: `${result.id}_${await tokenMac(tx, secrets, result.id)}`, replayed };
    });
  } catch (error) {
    await auditRefusal(store, error, {
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

async function usableToken(
  tx: OrchestratorTx,
  secrets: SecretBox,
  providerId: string,
  request: CaptureRequest,
  now: number,
): Promise<PaymentTokenRecord> {
  const token = await findToken(tx, secrets, request.token);
  if (!token || token.provider_id !== providerId) throw declined('unknown payment token for this provider');
  await assertNotFrozen(tx, token.user_id);
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

async function charge(
  tx: OrchestratorTx,
  secrets: SecretBox,
  providerId: string,
  request: CaptureRequest,
  now: number,
): Promise<Omit<CaptureResponse, 'replayed'>> {
  const token = await usableToken(tx, secrets, providerId, request, now);
  // Limits may have been lowered since the token was issued; lowering applies at once.
  await assertChargeAllowed(tx, await getLimits(tx, token.user_id), {
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
  await tx.ledger.insertCapture({
    id: captureId,
    token_id: token.id,
    user_id: token.user_id,
    provider_id: providerId,
    project_id: token.project_id,
    run_id: token.run_id,
    amount: request.amount,
    currency: request.currency,
    month: monthOf(now),
    description: request.description ?? null,
    created_at: now,
  });
  await tx.ledger.markCaptured(token.id);
  await appendAudit(tx, {
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
export async function capturePayment(
  { storage: store, secrets }: MoneyContext,
  providerId: string,
  request: CaptureRequest,
  now: number,
): Promise<CaptureResponse> {
  const { request_id: _fresh, ...body } = request;
  try {
    const { result, replayed } = await idempotentUnit(
      store,
      { scope: `capture:${providerId}`, key: request.idempotency_key, body, now },
      (tx) => charge(tx, secrets, providerId, request, now),
    );
    return { ...result, replayed };
  } catch (error) {
    await store.transaction(async (tx) => {
      const token = await findToken(tx, secrets, request.token);
      await auditRefusal(tx, error, {
        userId: token?.user_id ?? null,
        actor: `provider:${providerId}`,
        runId: token?.run_id ?? null,
        projectId: token?.project_id ?? null,
        action: 'capture',
        subject: token?.id ?? null,
        price: { amount: request.amount, currency: request.currency },
        now,
      });
    });
    throw error;
  }
}

/** Revokes one outstanding token (e.g. the provider failed and the purchase is abandoned). */
export function revokePaymentToken(
  store: OrchestratorStorage,
  input: { userId: string; actor: string; tokenId: string; reason: string; now: number },
): Promise<boolean> {
  return store.transaction(async (tx) => {
    const revoked = await tx.ledger.revokeToken(input);
    if (revoked) {
      await appendAudit(tx, {
        userId: input.userId,
        actor: input.actor,
        action: 'payment_token.revoke',
        subject: input.tokenId,
        result: 'ok',
        details: { reason: input.reason },
        now: input.now,
      });
    }
    return revoked;
  });
}
