import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { canonicalHash } from '../../../core/canonical-json.js';
import { withName } from '../../../core/config-schema.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type {
  Approval,
  CatalogService,
  Project,
  ProvisionRequest,
  ProvisionResponse,
  Quote,
} from '../../../protocol/orchestrator.js';
import type {
  PaymentCredentials,
  Quote as ProviderQuote,
  Resource as ProviderResource,
} from '../../../protocol/provider.js';
import type { Principal } from '../../../protocol/scopes.js';
import type { SandboxContext } from '../../context.js';
import { appendAudit } from '../audit/chain.js';
import { requirePaymentMethod } from '../identity/billing.js';
import { requireTermsAccepted } from '../identity/terms.js';
import { type CompleteInUnit, withIdempotency } from '../money/idempotency.js';
import { getLimits } from '../money/limits.js';
import { issuePaymentToken } from '../money/tokens.js';
import { assertScope } from './access.js';
import type { Accounts } from './accounts.js';
import { gateOnApproval, releaseApproval, settleApproval } from './approvals.js';
import type { Catalog } from './catalog.js';
import { validateConfiguration } from './config.js';
import { checkIntent, type IntentFindings } from './intent.js';
import { decidePolicy, type PolicyAuthorization } from './policy.js';
import type { ProjectStore } from './projects.js';
import type { ProviderCalls } from './provider-calls.js';
import type { QuoteStore } from './quotes.js';
import type { ProviderRegistry, RegisteredProvider } from './registry.js';
import type { InflightRepository } from './repository.js';
import { accessOf, type ResourceStore } from './resources.js';

export interface ProvisionDeps {
  ctx: SandboxContext;
  registry: ProviderRegistry;
  catalog: Catalog;
  calls: ProviderCalls;
  projects: ProjectStore;
  quotes: QuoteStore;
  /** Each call its own unit: `remember` must be committed before the provider is asked. */
  inflight: InflightRepository;
  resources: ResourceStore;
  accounts: Accounts;
}

/** What the idempotency store keeps of a finished provision: references, never the credentials. */
interface ProvisionRecord {
  resource_id: string;
  /** Who let the purchase through: a human's approval, or the policy (free, or the user's auto-approve rule). */
  authorization: Authorization;
}

type Authorization = PolicyAuthorization | { authorized_by: 'approval'; approval_id: string };

interface Attempt {
  principal: Principal;
  project: Project;
  provider: RegisteredProvider;
  service: CatalogService;
  configuration: Record<string, unknown>;
  request: ProvisionRequest;
}

/**
 * A provision run: quote → exact intent (S1) → policy → approval gate → terms (the orchestrator's, the
 * provider's) → account link → payment token → resource. Each gate answers with its code and where a human
 * satisfies it; a rerun of the same command finds the decision (bound to the plan hash) and, through the
 * idempotency key, never buys twice.
 */
export class Provisioner {
  constructor(private readonly deps: ProvisionDeps) {}

  async provision(
    principal: Principal,
    projectId: string,
    request: ProvisionRequest,
    reply?: FastifyReply,
  ): Promise<ProvisionResponse> {
    const attempt = await this.prepare(principal, projectId, request);
    const { ctx } = this.deps;
    const { result, replayed } = await withIdempotency<ProvisionRecord>(
      ctx.storage,
      {
        scope: `provision:${principal.userId}`,
        key: request.idempotency_key,
        body: { project: projectId, ...request, idempotency_key: undefined },
        now: ctx.now(),
      },
      (complete) => this.audited(attempt, () => this.run(attempt, complete)),
      reply ? { reply } : {},
    );
    return this.answer(principal.userId, result.resource_id, replayed);
  }

  /** Resolves and validates everything that costs nothing: project, service, configuration. */
  private async prepare(
    principal: Principal,
    projectId: string,
    request: ProvisionRequest,
  ): Promise<Attempt> {
    const project = await this.deps.projects.get(principal.userId, projectId);
    const [providerId = '', serviceId = ''] = splitRef(request.service);
    const provider = await this.deps.registry.get(providerId);
    const service = await this.deps.catalog.serviceOf(provider, serviceId);
    assertScope(principal, service.pricing.type === 'paid' ? 'provision:paid' : 'provision:free');
    const configuration = withName(service.configuration_schema, request.config, request.name);
    validateConfiguration(service, configuration);
    return { principal, project, provider, service, configuration, request };
  }

  private async run(attempt: Attempt, complete: CompleteInUnit<ProvisionRecord>): Promise<ProvisionRecord> {
    const { quote, findings } = (await this.resumedQuote(attempt)) ?? (await this.newQuote(attempt));
    const { approval, authorization } = await this.gate(attempt, quote, findings);
    try {
      const created = await this.buy(attempt, quote);
      return await this.record(attempt, { quote, approval, authorization, created }, complete);
    } catch (error) {
      if (approval) await releaseApproval(this.deps.ctx.storage, approval.id);
      throw error;
    }
  }

  private async newQuote(attempt: Attempt): Promise<{ quote: Quote; findings: IntentFindings }> {
    const { principal, provider, service, configuration, request } = attempt;
    const answer = await this.deps.calls.client(provider).quote({ service_id: service.id, configuration });
    assertPurchasable(answer, request, principal);
    const findings = await this.intent(attempt, answer);
    const quote = await this.deps.quotes.record(
      { userId: principal.userId, projectId: attempt.project.id, provider: provider.id },
      answer,
      findings.warnings,
      new Date(this.deps.ctx.now()),
    );
    return { quote, findings };
  }

  /**
   * An earlier attempt under this key reached the provider and its outcome is unknown: carry on with
   * its quote (a new one could say "taken" about the very domain we bought) so that the same payment
   * token and key get the first result back.
   */
  private async resumedQuote(
    attempt: Attempt,
  ): Promise<{ quote: Quote; findings: IntentFindings } | undefined> {
    const quoteId = await this.deps.inflight.quoteFor(
      attempt.principal.userId,
      attempt.request.idempotency_key,
    );
    if (!quoteId) return undefined;
    const quote = await this.deps.quotes.get(quoteId);
    return { quote, findings: await this.intent(attempt, { ...quote, id: quote.provider_quote_id }) };
  }

  private async intent(attempt: Attempt, answer: ProviderQuote): Promise<IntentFindings> {
    const history = await this.deps.resources.namesInProject(attempt.project.id);
    return checkIntent(attempt.service.kind, attempt.request.name, answer, history);
  }

  /**
   * Policy — with the user's auto-approve rule, read from their limits — then the approval bound to the
   * plan hash. An approved approval is claimed at once (inside the gate's transaction) so that two
   * concurrent runs of one plan cannot both spend it.
   */
  private async gate(
    attempt: Attempt,
    quote: Quote,
    findings: IntentFindings,
  ): Promise<{ approval: Approval | null; authorization: Authorization }> {
    const { ctx } = this.deps;
    const limits = await ctx.storage.transaction((tx) => getLimits(tx, attempt.principal.userId));
    const decision = decidePolicy({
      amount: quote.price,
      currency: quote.currency,
      refundable: quote.refundable,
      // What the human types to approve an irreversible purchase: the exact name, else the service.
      itemName: findings.nameOffered ?? findings.nameAsked ?? attempt.request.service,
      intentWarnings: findings.warnings,
      autoApproveBelow: { amount: limits.auto_approve_below, currency: limits.currency },
    });
    if (decision.action === 'go') return { approval: null, authorization: decision.authorization };
    const { principal, provider, service, project, request } = attempt;
    const planHash = canonicalHash({
      project: project.id,
      provider: provider.id,
      service: service.id,
      config: attempt.configuration,
      name_asked: findings.nameAsked,
      name_offered: findings.nameOffered,
      price: quote.price,
      currency: quote.currency,
    });
    const approval = await gateOnApproval(
      ctx,
      {
        userId: principal.userId,
        kind: 'purchase',
        title: `Buy ${findings.nameOffered ?? service.name} from ${provider.name}`,
        planHash,
        projectId: project.id,
        runId: request.run_id ?? null,
        provider: provider.id,
        service: service.id,
        nameAsked: findings.nameAsked,
        nameOffered: findings.nameOffered,
        price: { amount: quote.price, currency: quote.currency },
        billing: quote.billing,
        refundable: quote.refundable,
        warnings: [...decision.reasons, ...quoteWarnings(quote)],
        confirmation: decision.confirmation,
      },
      decision.reasons,
      request.idempotency_key,
      // Tentative until the resource is recorded: a rerun of this very request after a crash may use it.
      'tentative',
    );
    return { approval, authorization: { authorized_by: 'approval', approval_id: approval.id } };
  }

  /** Buys what was quoted: terms, account, payment token, then the resource at the provider. */
  private async buy(attempt: Attempt, quote: Quote): Promise<ProviderResource> {
    const { principal, provider } = attempt;
    const { ctx } = this.deps;
    // The orchestrator's own terms as well as the provider's: after a new version (init asked for an older
    // one), nothing more is bought until the human accepted it.
    await requireTermsAccepted(ctx, principal.userId, 'orchestrator');
    await requireTermsAccepted(ctx, principal.userId, {
      providerId: provider.id,
      version: provider.termsVersion,
    });
    const accountToken = await this.deps.accounts.tokenFor(principal, provider);
    const payment = quote.price > 0 ? await this.paymentFor(attempt, quote) : undefined;
    return this.createAtProvider(attempt, quote, accountToken, payment);
  }

  /**
   * The end of a purchase, as ONE unit: the resource and its credentials, the approval settled, the
   * in-flight entry cleared, the audit event and the idempotency result. A process that dies before it
   * commits leaves the purchase in flight (the rerun resumes it, and the provider's key hands back the same
   * resource); one that dies after leaves it finished (the rerun replays). A rerun that reaches this unit
   * again with a resource already recorded (same provider resource) answers that one and appends no second
   * event: the first one was committed with it.
   */
  private record(
    attempt: Attempt,
    bought: {
      quote: Quote;
      approval: Approval | null;
      authorization: Authorization;
      created: ProviderResource;
    },
    complete: CompleteInUnit<ProvisionRecord>,
  ): Promise<ProvisionRecord> {
    const { principal, provider, service, project, request } = attempt;
    const { quote, approval, authorization, created } = bought;
    const { ctx, resources } = this.deps;
    const now = ctx.now();
    const price = quote.price > 0 ? { amount: quote.price, currency: quote.currency } : null;
    return ctx.storage.transaction(async (tx) => {
      const recorded = await resources.record(
        tx,
        {
          userId: principal.userId,
          projectId: project.id,
          provider: provider.id,
          service: service.id,
          name: quote.name_offered ?? request.name ?? null,
          providerResourceId: created.id,
          price,
          quoteId: quote.id,
          approvalId: approval?.id ?? null,
          access: accessOf(created),
        },
        new Date(now),
      );
      if (approval) await settleApproval(tx, approval.id);
      await tx.inflight.forget(principal.userId, request.idempotency_key);
      const record = { resource_id: recorded.resource.id, authorization };
      if (recorded.created) {
        await appendAudit(tx, {
          ...auditEvent(attempt),
          subject: recorded.resource.id,
          price,
          result: 'ok',
          // Why no human approved it, when none did (S5): `projects audit` shows the rule and its threshold.
          details: { ...auditDetails(attempt), ...authorization },
          now,
        });
      }
      await complete(tx, record);
      return record;
    });
  }

  /**
   * Asks the provider to create the resource, with the purchase journaled as in flight while its
   * outcome is unknown. Only a definite refusal (a 4xx answer) clears it before the resource is recorded.
   */
  private async createAtProvider(
    attempt: Attempt,
    quote: Quote,
    accountToken: string,
    payment: PaymentCredentials | undefined,
  ): Promise<ProviderResource> {
    const { principal, provider, service, configuration, request } = attempt;
    const { inflight, ctx } = this.deps;
    if (payment)
      await inflight.remember(
        principal.userId,
        request.idempotency_key,
        quote.id,
        new Date(ctx.now()).toISOString(),
      );
    try {
      return await this.deps.calls.client(provider).createResource(accountToken, {
        service_id: service.id,
        configuration,
        idempotency_key: providerKey(principal.userId, request.idempotency_key),
        ...(payment ? { quote_id: quote.provider_quote_id, payment_credentials: payment } : {}),
      });
    } catch (error) {
      if (isDefiniteRefusal(error)) await inflight.forget(principal.userId, request.idempotency_key);
      throw error;
    }
  }

  private async paymentFor(attempt: Attempt, quote: Quote): Promise<PaymentCredentials> {
    const { principal, provider, project, request } = attempt;
    const { ctx } = this.deps;
    await requirePaymentMethod(ctx, principal.userId);
    const token = await issuePaymentToken(ctx, {
      userId: principal.userId,
      actor: principal.actor,
      projectId: project.id,
      runId: request.run_id ?? null,
      providerId: provider.id,
      maxAmount: quote.price,
      currency: quote.currency,
      idempotencyKey: `${request.idempotency_key}:payment`,
      description: `${attempt.service.name} ${quote.name_offered ?? ''}`.trim(),
      now: ctx.now(),
    });
    return {
      type: 'payment_token',
      token: token.token,
      capture_url: `${ctx.baseUrl()}/v1/provider/captures`,
    };
  }

  /**
   * Every outcome of a provision is appended to the audit log (S5): a purchase by the unit that records it
   * (`record`), a gate, refusal or failure here.
   */
  private async audited(attempt: Attempt, work: () => Promise<ProvisionRecord>): Promise<ProvisionRecord> {
    try {
      return await work();
    } catch (error) {
      const code = error instanceof ProjectsError ? error.code : 'INTERNAL';
      await appendAudit(this.deps.ctx.storage, {
        ...auditEvent(attempt),
        result: code,
        details: auditDetails(attempt),
        now: this.deps.ctx.now(),
      });
      throw error;
    }
  }

  /** Read back from storage for a first answer as for a replay, so that the two say the same. */
  private async answer(userId: string, resourceId: string, replayed: boolean): Promise<ProvisionResponse> {
    const stored = await this.deps.resources.get(userId, resourceId);
    return {
      resource: stored.resource,
      quote: await this.deps.quotes.get(stored.quoteId ?? ''),
      approval_id: stored.approvalId,
      credentials: await this.deps.resources.credentials(resourceId),
      replayed,
    };
  }
}

function auditEvent({ principal, project, request }: Attempt) {
  return {
    userId: principal.userId,
    actor: principal.actor,
    runId: request.run_id ?? null,
    projectId: project.id,
    action: 'resource.provision',
  };
}

function auditDetails({ provider, service, request }: Attempt): Record<string, unknown> {
  return { service: `${provider.id}/${service.id}`, name: request.name ?? null };
}

/** The provider answered and refused (4xx other than a still-running duplicate): nothing was charged. */
function isDefiniteRefusal(error: unknown): boolean {
  if (!(error instanceof ProjectsError) || error.httpStatus === undefined) return false;
  const inProgress = error.code === 'IDEMPOTENCY_CONFLICT' && error.details?.in_progress === true;
  return error.httpStatus >= 400 && error.httpStatus < 500 && !inProgress;
}

function splitRef(ref: string): string[] {
  const slash = ref.indexOf('/');
  return [ref.slice(0, slash), ref.slice(slash + 1)];
}

/** Nothing unavailable, nothing above the caller's `max_price`, nothing paid without the paid scope. */
function assertPurchasable(answer: ProviderQuote, request: ProvisionRequest, principal: Principal): void {
  if (answer.availability === 'unavailable') {
    const name = answer.name_requested ?? request.name ?? answer.service_id;
    throw new ProjectsError('DOMAIN_UNAVAILABLE', `${name} is not available (${answer.unavailable_reason})`, {
      httpStatus: 409,
      details: { name, reason: answer.unavailable_reason },
    });
  }
  if (answer.price > 0) assertScope(principal, 'provision:paid');
  if (request.max_price !== undefined && answer.price > request.max_price) {
    throw new ProjectsError(
      'BUDGET_EXCEEDED',
      `the quote (${answer.price} ${answer.currency}) is above max_price ${request.max_price}; do not retry`,
      {
        httpStatus: 402,
        details: { price: answer.price, currency: answer.currency, max_price: request.max_price },
      },
    );
  }
}

function quoteWarnings(quote: Quote): string[] {
  const warnings: string[] = [];
  if (quote.premium) warnings.push('premium price: above the standard rate');
  if (quote.billing === 'recurring' && quote.renewal_price !== null) {
    warnings.push(`renews every ${quote.interval} at ${quote.renewal_price} ${quote.currency}`);
  }
  return warnings;
}

/** The key the provider sees: one per user and CLI key, so that two users' keys can never collide. */
function providerKey(userId: string, key: string): string {
  return `idk_${createHash('sha256').update(`${userId}\n${key}`).digest('hex')}`;
}
