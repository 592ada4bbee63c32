import type { Limits } from '../../../protocol/money.js';

/**
 * The money module's storage, one interface per aggregate. Implementations hold the only SQL; the domain
 * modules above (tokens, limits, runs, freeze, gates, idempotency) hold the rules. Every method is async so
 * that a networked database (PostgreSQL) can implement them; atomicity comes from the unit of work they are
 * called in (`OrchestratorStorage.transaction`, see storage/unit-of-work.ts), never from a single method.
 * Times are integer milliseconds (UTC); amounts are integer minor units.
 */

export type TokenStatus = 'active' | 'captured' | 'revoked';

/** What a payment token is bound to (DESIGN.md §2.3): one user, provider, ceiling, currency and expiry. */
interface PaymentTokenBinding {
  id: string;
  user_id: string;
  project_id: string | null;
  run_id: string | null;
  provider_id: string;
  max_amount: number;
  currency: string;
  expires_at: number;
}

export interface PaymentTokenRecord extends PaymentTokenBinding {
  status: TokenStatus;
  revoke_reason: string | null;
}

export interface NewPaymentToken extends PaymentTokenBinding {
  description: string | null;
  created_at: number;
}

export interface CaptureRecord {
  id: string;
  token_id: string;
  user_id: string;
  provider_id: string;
  project_id: string | null;
  run_id: string | null;
  amount: number;
  currency: string;
  /** The calendar month (UTC, `2026-12`) the capture counts in. */
  month: string;
  description: string | null;
  created_at: number;
}

/** What a sum of spend or reservations covers; `runId` sums over the run's life instead of one month. */
export interface SpendQuery {
  userId: string;
  providerId?: string | undefined;
  runId?: string | undefined;
  /** A token whose own reservation is being converted into a charge, so it is not counted twice. */
  excludeTokenId?: string | undefined;
  now: number;
}

/** Payment tokens (reservations) and captures (the spend ledger). */
export interface LedgerRepository {
  /** The key payment-token MACs are computed with (hex), created with the schema. */
  tokenKey(): Promise<string>;
  findToken(id: string): Promise<PaymentTokenRecord | undefined>;
  insertToken(token: NewPaymentToken): Promise<void>;
  markCaptured(tokenId: string): Promise<void>;
  /** Revokes the user's token if it is still active; false when it was not. */
  revokeToken(input: { tokenId: string; userId: string; reason: string; now: number }): Promise<boolean>;
  /** Revokes every active token of a user or of a run; returns how many. */
  revokeActiveTokens(
    owner: { userId: string } | { runId: string },
    reason: string,
    now: number,
  ): Promise<number>;
  insertCapture(capture: CaptureRecord): Promise<void>;
  /** Captured in the month of `now` (or over the run's life). */
  spent(query: SpendQuery): Promise<number>;
  /** Held by active, unexpired tokens. */
  reserved(query: SpendQuery): Promise<number>;
  /** Tokens issued for the project (or for no project when null) after `since`. */
  tokensIssuedSince(input: { userId: string; projectId: string | null; since: number }): Promise<number>;
  /** Providers with captures in `month` or active reservations at `now`, sorted. */
  providersWithSpend(userId: string, month: string, now: number): Promise<string[]>;
}

export interface LimitsRepository {
  /** The user's stored limits, or undefined when they never changed the defaults. */
  get(userId: string): Promise<Partial<Limits> | undefined>;
  put(userId: string, limits: Limits, now: number): Promise<void>;
}

export interface BudgetRunRecord {
  id: string;
  user_id: string;
  project_id: string | null;
  currency: string;
  budget: number;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
  end_reason: string | null;
}

export interface BudgetRunRepository {
  find(userId: string, runId: string): Promise<BudgetRunRecord | undefined>;
  insert(run: BudgetRunRecord, createdBy: string): Promise<void>;
  end(runId: string, reason: string, now: number): Promise<void>;
  /** Ends every run of the user that is neither ended nor expired; returns how many. */
  endActive(userId: string, reason: string, now: number): Promise<number>;
}

export interface FreezeRecord {
  frozen: boolean;
  reason: string | null;
  frozen_at: number | null;
  frozen_by: string | null;
}

export interface FreezeRepository {
  get(userId: string): Promise<FreezeRecord | undefined>;
  freeze(input: { userId: string; actor: string; reason: string | null; now: number }): Promise<void>;
  lift(userId: string, now: number): Promise<void>;
}

export type GateKind = 'budget_raise' | 'unfreeze';

export interface GateRecord {
  approval_id: string;
  user_id: string;
  kind: GateKind;
  payload: Record<string, unknown>;
  applied_at: number | null;
}

/** What a money gate (an approval) applies once a human approves it. */
export interface GateRepository {
  find(approvalId: string): Promise<GateRecord | undefined>;
  /** Records the gate unless the approval already has one (the first request defines what it applies). */
  remember(gate: Omit<GateRecord, 'applied_at'>, now: number): Promise<void>;
  markApplied(approvalId: string, now: number): Promise<void>;
}

export interface IdempotencyRecord {
  request_hash: string;
  state: 'in_progress' | 'done';
  result: unknown;
  locked_until: number;
  /** The storage instance (`OrchestratorStorage.instance`) whose process claimed it; null before it was recorded. */
  holder: string | null;
}

export interface IdempotencyClaim {
  scope: string;
  key: string;
  requestHash: string;
  lockedUntil: number;
  holder: string;
  now: number;
  expiresAt: number;
}

export interface IdempotencyRepository {
  /** Forgets keys whose retention ended before `now`. */
  purgeExpired(now: number): Promise<void>;
  find(scope: string, key: string): Promise<IdempotencyRecord | undefined>;
  /** Inserts an in-progress claim, or renews the lease of the existing one and hands it to `holder`. */
  claim(input: IdempotencyClaim): Promise<void>;
  complete(scope: string, key: string, result: unknown): Promise<void>;
  /** Deletes an in-progress claim (a finished one stays). */
  release(scope: string, key: string): Promise<void>;
}
