import { z } from 'zod';
import { DEPLOYMENT_ID_PATTERN } from './deploy.js';
import { Quote as ProviderQuote, Service } from './provider.js';

/**
 * The CLI ↔ orchestrator API for discovery, projects, quotes, approvals and provision runs
 * (DESIGN.md §2.1). One set of schemas: the orchestrator validates requests and the CLI validates
 * answers with the same objects, and `npm run docs:schema` publishes them as JSON Schema.
 * Money is always integer minor units with a lowercase ISO currency.
 */

const prefixedId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9]+$`));
const timestamp = z.iso.datetime().describe('RFC 3339 UTC timestamp');

export const MoneySchema = z
  .object({
    amount: z.int().min(0).describe('minor units, e.g. cents'),
    currency: z.string().regex(/^[a-z]{3}$/),
  })
  .meta({ id: 'Money' });

export const ServiceRefSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9:_-]*$/, 'expected provider/service')
  .describe('a service of the catalog as "provider/service"');

// ---------------------------------------------------------------- catalog

/** A provider's service as the aggregated catalog lists it: the provider's own entry plus where it is. */
export const CatalogServiceSchema = Service.extend({
  ref: ServiceRefSchema,
  provider: z.string(),
}).meta({ id: 'CatalogService' });

export const CatalogProviderStatusSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.enum(['ok', 'unavailable']),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    terms_url: z.string(),
  })
  .meta({ id: 'CatalogProviderStatus' });

export const CatalogResponseSchema = z
  .object({
    services: z.array(CatalogServiceSchema),
    providers: z.array(CatalogProviderStatusSchema),
    refreshed_at: timestamp,
  })
  .meta({ id: 'CatalogResponse' });

export const CatalogQuerySchema = z.object({
  q: z.string().optional(),
  provider: z.string().optional(),
  category: z.string().optional(),
  refresh: z.enum(['true', 'false', '1', '0']).optional(),
});

// ---------------------------------------------------------------- projects

export const CreateProjectRequestSchema = z
  .object({ name: z.string().min(1).max(100) })
  .meta({ id: 'CreateProjectRequest' });

export const ProjectSchema = z
  .object({ id: prefixedId('prj'), name: z.string(), created_at: timestamp })
  .meta({ id: 'Project' });

export const ResourceSchema = z
  .object({
    id: prefixedId('res'),
    project_id: prefixedId('prj'),
    provider: z.string(),
    service: z.string(),
    name: z.string().nullable(),
    status: z.enum(['active', 'removed']),
    provider_resource_id: z.string(),
    credential_names: z.array(z.string()).describe('env-var names of the credentials; never their values'),
    public_credentials: z
      .record(z.string(), z.string())
      .default({})
      .describe(
        'the credentials whose values are not secret (the provider marked them public and they do not look ' +
          'like a credential: ids, URLs), with their values; clients may show these and keep the rest secret',
      ),
    price: MoneySchema.nullable(),
    created_at: timestamp,
  })
  .meta({ id: 'Resource' });

// ---------------------------------------------------------------- quotes

/** A provider's quote as the orchestrator keeps it: under its own id, with the exact-intent warnings. */
export const QuoteSchema = ProviderQuote.omit({ id: true })
  .extend({
    id: prefixedId('qt'),
    provider: z.string(),
    provider_quote_id: z.string(),
    warnings: z.array(z.string()),
  })
  .meta({ id: 'Quote' });

// ---------------------------------------------------------------- approvals

export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'expired'] as const;
export const ApprovalStatusSchema = z.enum(APPROVAL_STATUSES);

export const ApprovalSchema = z
  .object({
    id: prefixedId('apr'),
    status: ApprovalStatusSchema,
    kind: z.string().describe('purchase, budget_raise, unfreeze, token_create…'),
    title: z.string(),
    project_id: z.string().nullable(),
    run_id: z.string().nullable(),
    provider: z.string().nullable(),
    service: z.string().nullable(),
    name_asked: z.string().nullable(),
    name_offered: z.string().nullable(),
    price: MoneySchema.nullable(),
    billing: z.enum(['free', 'one_time', 'recurring']).nullable(),
    refundable: z.boolean(),
    warnings: z.array(z.string()),
    plan_hash: z.string(),
    confirmation: z
      .string()
      .nullable()
      .describe('when set, approving requires typing exactly this text (the item name)'),
    url: z.string().describe('the web page where a human can decide'),
    created_at: timestamp,
    expires_at: timestamp,
    decided_by: z.string().nullable(),
    decided_via: z.enum(['web', 'cli']).nullable(),
    decided_at: timestamp.nullable(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'Approval' });

export const ApprovalListSchema = z
  .object({ approvals: z.array(ApprovalSchema) })
  .meta({ id: 'ApprovalList' });

export const ApprovalListQuerySchema = z.object({ status: ApprovalStatusSchema.optional() });

export const DecideApprovalRequestSchema = z
  .object({
    confirmation: z.string().optional().describe('the exact item name, required for non-refundable items'),
    reason: z.string().max(500).optional(),
  })
  .meta({ id: 'DecideApprovalRequest' });

/** `details` of an APPROVAL_REQUIRED error: what the human must decide and where. */
export const ApprovalRequiredDetailsSchema = z
  .object({
    approval_id: prefixedId('apr'),
    url: z.string(),
    plan_hash: z.string(),
    reasons: z.array(z.string()),
  })
  .meta({ id: 'ApprovalRequiredDetails' });

// ---------------------------------------------------------------- provision

export const ProvisionRequestSchema = z
  .object({
    service: ServiceRefSchema,
    name: z.string().min(1).max(253).optional().describe('the exact name asked for (domains: the domain)'),
    config: z.record(z.string(), z.unknown()).default({}),
    max_price: z.int().min(0).optional().describe('refuse a quote above this, in minor units'),
    idempotency_key: z.string().min(8).max(200),
    run_id: prefixedId('run').optional(),
  })
  .meta({ id: 'ProvisionRequest' });

export const ProvisionResponseSchema = z
  .object({
    resource: ResourceSchema,
    quote: QuoteSchema,
    approval_id: z.string().nullable(),
    credentials: z
      .record(z.string(), z.string())
      .describe('the access configuration, handed out only in this answer; store it, never print it'),
    replayed: z.boolean(),
  })
  .meta({ id: 'ProvisionResponse' });

export const ResourceListSchema = z
  .object({ resources: z.array(ResourceSchema) })
  .meta({ id: 'ResourceList' });

export const RotateResponseSchema = z
  .object({ resource: ResourceSchema, credentials: z.record(z.string(), z.string()) })
  .meta({ id: 'RotateResponse' });

export const ProjectStatusSchema = z
  .object({
    project: ProjectSchema,
    resources: z.array(ResourceSchema),
    pending_approvals: z.array(ApprovalSchema),
    spend: z.object({ this_month: MoneySchema }),
  })
  .meta({ id: 'ProjectStatus' });

/** `POST /v1/projects/:id/publish-grants`: the orchestrator's word that a production change may happen. */
export const PublishGrantRequestSchema = z
  .object({
    provider: z.string().min(1),
    site_id: z.string().min(1),
    deployment_id: z.string().regex(DEPLOYMENT_ID_PATTERN),
  })
  .meta({ id: 'PublishGrantRequest' });

export const PublishGrantSchema = z
  .object({
    grant: z.string(),
    expires_at: z.string(),
    authorized_by: z.enum(['scope', 'approval']),
    approval_id: z.string().nullable(),
  })
  .meta({ id: 'PublishGrant' });

/** Every schema published in docs/schema/, by file name. */
export const PUBLISHED_SCHEMAS = {
  Money: MoneySchema,
  CatalogService: CatalogServiceSchema,
  CatalogResponse: CatalogResponseSchema,
  CreateProjectRequest: CreateProjectRequestSchema,
  Project: ProjectSchema,
  ProjectStatus: ProjectStatusSchema,
  Resource: ResourceSchema,
  ResourceList: ResourceListSchema,
  Quote: QuoteSchema,
  Approval: ApprovalSchema,
  ApprovalList: ApprovalListSchema,
  DecideApprovalRequest: DecideApprovalRequestSchema,
  ApprovalRequiredDetails: ApprovalRequiredDetailsSchema,
  ProvisionRequest: ProvisionRequestSchema,
  ProvisionResponse: ProvisionResponseSchema,
  RotateResponse: RotateResponseSchema,
  PublishGrantRequest: PublishGrantRequestSchema,
  PublishGrant: PublishGrantSchema,
} as const;

export type Money = z.infer<typeof MoneySchema>;
export type CatalogService = z.infer<typeof CatalogServiceSchema>;
export type CatalogResponse = z.infer<typeof CatalogResponseSchema>;
export type Project = z.infer<typeof ProjectSchema>;
export type ProjectStatus = z.infer<typeof ProjectStatusSchema>;
export type Resource = z.infer<typeof ResourceSchema>;
export type Quote = z.infer<typeof QuoteSchema>;
export type Approval = z.infer<typeof ApprovalSchema>;
export type ApprovalStatus = z.infer<typeof ApprovalStatusSchema>;
export type ProvisionRequest = z.infer<typeof ProvisionRequestSchema>;
export type ProvisionResponse = z.infer<typeof ProvisionResponseSchema>;
export type PublishGrantRequest = z.infer<typeof PublishGrantRequestSchema>;
export type PublishGrant = z.infer<typeof PublishGrantSchema>;
