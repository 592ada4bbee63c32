import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProjectsError } from '../../../protocol/errors.js';
import {
  CaptureRequestSchema,
  CreateRunRequestSchema,
  FreezeRequestSchema,
  type Limits,
  UpdateBudgetRequestSchema,
} from '../../../protocol/money.js';
import {
  memoryReplayGuard,
  PROVIDER_HEADER,
  type ReplayGuard,
  SIGNATURE_HEADER,
  verifySignature,
} from '../../../protocol/signing.js';
import type { SandboxContext, SandboxModule } from '../../context.js';
import { requireScope } from '../principal.js';
import { parseWith } from '../runs/validate.js';
import { MONEY_MIGRATIONS } from '../storage/sqlite/migrations.js';
import { changeLimits, getBudget, isEmpty, splitChanges } from './budget.js';
import { createRun, endRun, getRun, parseDuration } from './budget-runs.js';
import { assertNotFrozen, freezeUser, getFreezeState } from './freeze.js';
import { applyGatesOnApproval, requestLimitRaise, requestUnfreeze } from './gates.js';
import { keepRawJsonBodies, rawBody } from './http.js';
import { getLimits } from './limits.js';
import { capturePayment, PAYMENT_TOKEN_KEY } from './tokens.js';

export interface MoneyModuleOptions {
  /** The signing secret of a registered provider, used to check its capture requests. */
  secretFor(providerId: string): string | undefined;
}

/**
 * The orchestrator's money core: the capture endpoint providers call, agent runs with budgets, limits,
 * and the freeze switch. Payment tokens are issued by the provision flow through `issuePaymentToken`.
 */
export function moneyModule(options: MoneyModuleOptions): SandboxModule {
  return {
    name: 'orchestrator:money',
    migrations: MONEY_MIGRATIONS,
    sealedColumns: [PAYMENT_TOKEN_KEY],
    prefix: '',
    async register(app, ctx) {
      keepRawJsonBodies(app);
      applyGatesOnApproval(ctx);
      registerCaptures(app, ctx, options);
      registerRuns(app, ctx);
      registerBudget(app, ctx);
      registerFreeze(app, ctx);
    },
  };
}

/** The provider that signed this capture request, or INVALID_SIGNATURE. */
function signingProvider(
  request: FastifyRequest,
  options: MoneyModuleOptions,
  replayGuard: ReplayGuard,
): string {
  const header = request.headers[PROVIDER_HEADER];
  const providerId = typeof header === 'string' ? header : undefined;
  const secret = providerId ? options.secretFor(providerId) : undefined;
  const signature = request.headers[SIGNATURE_HEADER];
  const check = secret
    ? verifySignature({
        secret,
        header: typeof signature === 'string' ? signature : undefined,
        body: rawBody(request),
        replayGuard,
      })
    : { ok: false as const, message: `unknown provider in the ${PROVIDER_HEADER} header` };
  if (!check.ok || !providerId) {
    throw new ProjectsError(
      'INVALID_SIGNATURE',
      `capture refused: ${check.ok ? 'no provider' : check.message}`,
      {
        httpStatus: 401,
      },
    );
  }
  return providerId;
}

function registerCaptures(app: FastifyInstance, ctx: SandboxContext, options: MoneyModuleOptions): void {
  const replayGuard = memoryReplayGuard();
  app.post('/v1/provider/captures', async (request) => {
    const providerId = signingProvider(request, options, replayGuard);
    const capture = parseWith(CaptureRequestSchema, request.body, 'capture');
    return capturePayment(ctx, providerId, capture, ctx.now());
  });
}

function registerRuns(app: FastifyInstance, ctx: SandboxContext): void {
  app.post('/v1/runs', async (request, reply) => {
    const principal = requireScope(request, 'provision:paid');
    const body = parseWith(CreateRunRequestSchema, request.body, 'run');
    const ttlSeconds = parseDuration(body.ttl);
    await assertNotFrozen(ctx.storage, principal.userId);
    const billed = (await currentLimits(ctx, principal.userId)).currency;
    if (body.currency !== billed) {
      throw new ProjectsError('INVALID_ARGUMENT', `this account is billed in '${billed}'`, {
        httpStatus: 400,
      });
    }
    const run = await createRun(ctx.storage, {
      userId: principal.userId,
      actor: principal.actor,
      budget: body.budget,
      currency: body.currency,
      ttlSeconds,
      projectId: body.project_id ?? null,
      now: ctx.now(),
    });
    return reply.status(201).send(run);
  });
  app.get<{ Params: { id: string } }>('/v1/runs/:id', async (request) => {
    const principal = requireScope(request, 'read');
    return getRun(ctx.storage, principal.userId, request.params.id, ctx.now());
  });
  app.post<{ Params: { id: string } }>('/v1/runs/:id/end', async (request) => {
    const principal = requireScope(request, 'read');
    return endRun(ctx.storage, {
      userId: principal.userId,
      actor: principal.actor,
      runId: request.params.id,
      reason: 'ended',
      now: ctx.now(),
    });
  });
}

function registerBudget(app: FastifyInstance, ctx: SandboxContext): void {
  app.get('/v1/budget', async (request) => {
    const principal = requireScope(request, 'read');
    return getBudget(ctx.storage, principal.userId, ctx.now());
  });
  app.post('/v1/budget', async (request) => {
    const principal = requireScope(request, 'read');
    const requested = parseWith(UpdateBudgetRequestSchema, request.body, 'budget change');
    const { lower, raise } = splitChanges(await currentLimits(ctx, principal.userId), requested);
    const applied = Object.keys(lower);
    const limits = isEmpty(lower)
      ? await currentLimits(ctx, principal.userId)
      : await changeLimits(ctx.storage, {
          userId: principal.userId,
          actor: principal.actor,
          changes: lower,
          now: ctx.now(),
        });
    try {
      await requestLimitRaise(ctx, principal, limits, raise);
    } catch (error) {
      throw error instanceof ProjectsError ? error.with({ details: { applied, pending: raise } }) : error;
    }
    return { limits: await currentLimits(ctx, principal.userId), applied };
  });
}

function registerFreeze(app: FastifyInstance, ctx: SandboxContext): void {
  app.get('/v1/freeze', async (request) => {
    const principal = requireScope(request, 'read');
    return getFreezeState(ctx.storage, principal.userId);
  });
  // Anyone signed in for this user may pull the kill switch, including an agent's token.
  app.post('/v1/freeze', async (request) => {
    const principal = requireScope(request, 'read');
    const body = parseWith(FreezeRequestSchema, request.body ?? {}, 'freeze');
    return freezeUser(ctx.storage, {
      userId: principal.userId,
      actor: principal.actor,
      reason: body.reason ?? null,
      now: ctx.now(),
    });
  });
  // Always a human gate: whoever asks, only a human's approval (web page or `projects approve`) lifts it.
  app.post('/v1/unfreeze', async (request) => {
    const principal = requireScope(request, 'read');
    return requestUnfreeze(ctx, principal);
  });
}

function currentLimits(ctx: SandboxContext, userId: string): Promise<Limits> {
  return ctx.storage.transaction((tx) => getLimits(tx, userId));
}
