import { z } from 'zod';
import {
  CaptureRequest as CaptureRequestSchema,
  CaptureResponse as CaptureResponseSchema,
} from './provider.js';

/**
 * Wire shapes of the orchestrator's money and accountability API: provider captures of payment tokens,
 * agent runs with budgets, spend limits, the freeze switch and the audit log (DESIGN.md §2.3, §4 S2–S5).
 * Money is always integer minor units with a lowercase ISO currency; the sandbox bills in `usd`.
 */

const timestamp = z.iso.datetime().describe('RFC 3339 UTC timestamp');
const minorUnits = z.int().min(0).describe('minor units, e.g. cents');
const currency = z.string().regex(/^[a-z]{3}$/, 'expected a lowercase ISO 4217 code');

export const IdempotencyKeySchema = z
  .string()
  .min(8)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
  .describe('derived from project, run and plan step; the same key always means the same operation');

// ---------------------------------------------------------------- captures (provider → orchestrator)

// One wire message, one schema: the provider protocol defines it, the orchestrator validates with it.
export { CaptureRequestSchema, CaptureResponseSchema };

// ---------------------------------------------------------------- runs (agent budgets)

export const DurationSchema = z
  .union([z.int().min(1), z.string().regex(/^\d+(s|m|h|d)$/, 'expected e.g. 90s, 30m, 2h, 1d')])
  .describe('seconds, or a number with unit s/m/h/d');

export const CreateRunRequestSchema = z
  .object({
    budget: minorUnits.describe('the run ceiling in minor units'),
    currency: currency.default('usd'),
    ttl: DurationSchema.optional().describe('default 2h; at most 7d'),
    project_id: z.string().optional(),
  })
  .meta({ id: 'CreateRunRequest' });

export const RunSchema = z
  .object({
    id: z.string().regex(/^run_[A-Za-z0-9]+$/),
    status: z.enum(['active', 'ended', 'expired']),
    project_id: z.string().nullable(),
    currency,
    budget: minorUnits,
    spent: minorUnits,
    reserved: minorUnits.describe('held by outstanding payment tokens'),
    remaining: minorUnits,
    created_at: timestamp,
    expires_at: timestamp,
    ended_at: timestamp.nullable(),
    end_reason: z.string().nullable(),
  })
  .meta({ id: 'Run' });

// ---------------------------------------------------------------- budget

export const VelocitySchema = z
  .object({
    max_operations: z.int().min(0),
    window_seconds: z
      .int()
      .min(1)
      .max(86_400 * 31),
  })
  .describe('at most max_operations billable operations per project in any window');

export const LimitsSchema = z
  .object({
    currency,
    global_monthly_cap: minorUnits,
    provider_monthly_cap: minorUnits.describe('default cap for each provider, per calendar month (UTC)'),
    provider_caps: z
      .record(z.string(), minorUnits)
      .describe('per-provider overrides of provider_monthly_cap'),
    per_invocation_ceiling: minorUnits.describe('ceiling of one billable operation made outside a run'),
    velocity: VelocitySchema,
    auto_approve_below: minorUnits.describe(
      'a paid purchase that is refundable, has no exact-intent warning and is quoted at or below this ' +
        'goes through without a human approval (still within every limit above); 0 turns the rule off',
    ),
  })
  .meta({ id: 'Limits' });

export const UpdateBudgetRequestSchema = LimitsSchema.omit({ currency: true })
  .partial()
  .strict()
  .meta({ id: 'UpdateBudgetRequest' });

export const ProviderSpendSchema = z.object({
  provider: z.string(),
  spent: minorUnits,
  reserved: minorUnits,
  cap: minorUnits,
});

export const BudgetSchema = z
  .object({
    limits: LimitsSchema,
    spend: z.object({
      month: z.string().regex(/^\d{4}-\d{2}$/),
      currency,
      spent: minorUnits,
      reserved: minorUnits,
      by_provider: z.array(ProviderSpendSchema),
    }),
    frozen: z.boolean(),
  })
  .meta({ id: 'Budget' });

export const UpdateBudgetResponseSchema = z
  .object({ limits: LimitsSchema, applied: z.array(z.string()).describe('the limits lowered at once') })
  .meta({ id: 'UpdateBudgetResponse' });

// ---------------------------------------------------------------- freeze

export const FreezeRequestSchema = z
  .object({ reason: z.string().max(500).optional() })
  .meta({ id: 'FreezeRequest' });

export const FreezeStateSchema = z
  .object({
    frozen: z.boolean(),
    reason: z.string().nullable(),
    frozen_at: timestamp.nullable(),
    frozen_by: z.string().nullable(),
    revoked_tokens: z.int().min(0).optional().describe('payment tokens revoked by this freeze'),
    ended_runs: z.int().min(0).optional().describe('runs ended by this freeze'),
  })
  .meta({ id: 'FreezeState' });

// ---------------------------------------------------------------- audit

export const AuditEventSchema = z
  .object({
    seq: z.int().min(1),
    id: z.string().regex(/^evt_[A-Za-z0-9]+$/),
    created_at: timestamp,
    user_id: z.string().nullable(),
    actor: z.string().describe('human:<email>, token:<tok_…>, provider:<id> or system'),
    run_id: z.string().nullable(),
    project_id: z.string().nullable(),
    action: z.string(),
    subject: z.string().nullable(),
    price: z.object({ amount: minorUnits, currency }).nullable(),
    result: z.string().describe('ok, or the error code of a refusal'),
    details: z.record(z.string(), z.unknown()),
    prev_hash: z.string().regex(/^[0-9a-f]{64}$/),
    hash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .describe('SHA-256 of the canonical JSON of all other fields'),
  })
  .meta({ id: 'AuditEvent' });

export const AuditQuerySchema = z.object({
  since: timestamp.optional(),
  run: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const AuditListSchema = z.object({ events: z.array(AuditEventSchema) }).meta({ id: 'AuditList' });

export const AuditVerificationSchema = z
  .object({
    ok: z.boolean(),
    checked: z.int().min(0).describe('events verified before the first bad one'),
    first_bad: z
      .object({ id: z.string().nullable(), seq: z.int(), reason: z.string() })
      .nullable()
      .describe('the first event that does not verify'),
  })
  .meta({ id: 'AuditVerification' });

/** Every schema of this file published in docs/schema/, by name. */
export const MONEY_SCHEMAS = {
  CaptureRequest: CaptureRequestSchema,
  CaptureResponse: CaptureResponseSchema,
  CreateRunRequest: CreateRunRequestSchema,
  Run: RunSchema,
  Limits: LimitsSchema,
  UpdateBudgetRequest: UpdateBudgetRequestSchema,
  UpdateBudgetResponse: UpdateBudgetResponseSchema,
  Budget: BudgetSchema,
  FreezeRequest: FreezeRequestSchema,
  FreezeState: FreezeStateSchema,
  AuditEvent: AuditEventSchema,
  AuditList: AuditListSchema,
  AuditVerification: AuditVerificationSchema,
} as const;

export type { CaptureRequest, CaptureResponse } from './provider.js';
export type CreateRunRequest = z.infer<typeof CreateRunRequestSchema>;
export type Run = z.infer<typeof RunSchema>;
export type Limits = z.infer<typeof LimitsSchema>;
export type UpdateBudgetRequest = z.infer<typeof UpdateBudgetRequestSchema>;
export type UpdateBudgetResponse = z.infer<typeof UpdateBudgetResponseSchema>;
export type Budget = z.infer<typeof BudgetSchema>;
export type FreezeState = z.infer<typeof FreezeStateSchema>;
export type AuditEvent = z.infer<typeof AuditEventSchema>;
export type AuditVerification = z.infer<typeof AuditVerificationSchema>;
