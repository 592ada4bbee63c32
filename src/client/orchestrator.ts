import type {
  AuditEvent,
  AuditVerification,
  Budget,
  CreateRunRequest,
  FreezeState,
  Run,
  UpdateBudgetRequest,
  UpdateBudgetResponse,
} from '../protocol/money.js';
import type {
  Approval,
  ApprovalStatus,
  CatalogResponse,
  Project,
  ProjectStatus,
  ProvisionRequest,
  ProvisionResponse,
  PublishGrant,
  PublishGrantRequest,
  Resource,
} from '../protocol/orchestrator.js';
import { publicValues } from '../protocol/secret-shape.js';
import type { HttpClient } from './http.js';

/** Runs one authorized call: the credential (flag, PROJECTS_TOKEN or stored login) is the caller's concern. */
export type AuthorizedCall = <T>(action: (http: HttpClient) => Promise<T>) => Promise<T>;

export interface CatalogQuery {
  q?: string | undefined;
  provider?: string | undefined;
  category?: string | undefined;
}

/** The zod schemas load on first use only: importing zod costs a CLI tens of milliseconds of startup. */
function schemas(): Promise<typeof import('../protocol/orchestrator.js')> {
  return import('../protocol/orchestrator.js');
}

function moneySchemas(): Promise<typeof import('../protocol/money.js')> {
  return import('../protocol/money.js');
}

export interface AuditQuery {
  since?: string | undefined;
  run?: string | undefined;
}

const segment = encodeURIComponent;

/**
 * A resource as the CLI may show it: of the credentials the orchestrator lists as public, those that look
 * like a credential are dropped (S7 does not rest on the orchestrator or the provider being right).
 */
function checkedPublic(resource: Resource): Resource {
  const listed = resource.public_credentials;
  return { ...resource, public_credentials: publicValues(listed, Object.keys(listed)) };
}

/**
 * The CLI's side of the orchestrator's discovery, project, quote, provision and approval API
 * (docs/protocol.md). Every answer is validated against the shared schema before the CLI acts on it.
 */
export class OrchestratorApi {
  constructor(private readonly call: AuthorizedCall) {}

  async catalog(query: CatalogQuery = {}): Promise<CatalogResponse> {
    const { CatalogResponseSchema } = await schemas();
    return this.call((http) =>
      http.get('/v1/catalog', { query: { ...query }, schema: CatalogResponseSchema }),
    );
  }

  async createProject(name: string): Promise<Project> {
    const { ProjectSchema } = await schemas();
    return this.call((http) => http.post('/v1/projects', { name }, { schema: ProjectSchema }));
  }

  /** The project with its resources, pending approvals and this month's spend. */
  async projectStatus(id: string): Promise<ProjectStatus> {
    const { ProjectStatusSchema } = await schemas();
    const status = await this.call((http) =>
      http.get(`/v1/projects/${segment(id)}`, { schema: ProjectStatusSchema }),
    );
    return { ...status, resources: status.resources.map(checkedPublic) };
  }

  async provision(projectId: string, request: ProvisionRequest): Promise<ProvisionResponse> {
    const { ProvisionResponseSchema } = await schemas();
    const answer = await this.call((http) =>
      http.post(`/v1/projects/${segment(projectId)}/provision`, request, {
        schema: ProvisionResponseSchema,
        idempotencyKey: request.idempotency_key,
      }),
    );
    return { ...answer, resource: checkedPublic(answer.resource) };
  }

  /** The publish grant the provider requires before a production change (APPROVAL_REQUIRED until decided). */
  async publishGrant(projectId: string, request: PublishGrantRequest): Promise<PublishGrant> {
    const { PublishGrantSchema } = await schemas();
    return this.call((http) =>
      http.post(`/v1/projects/${segment(projectId)}/publish-grants`, request, { schema: PublishGrantSchema }),
    );
  }

  /** Spend this month against the caps, and whether spending is frozen (the money side of the API). */
  async budget(): Promise<Budget> {
    const { BudgetSchema } = await moneySchemas();
    return this.call((http) => http.get('/v1/budget', { schema: BudgetSchema }));
  }

  /** Lowers apply at once; a raise becomes an approval (`pending`). */
  async updateBudget(changes: UpdateBudgetRequest): Promise<UpdateBudgetResponse> {
    const { UpdateBudgetResponseSchema } = await moneySchemas();
    return this.call((http) => http.post('/v1/budget', changes, { schema: UpdateBudgetResponseSchema }));
  }

  async startRun(request: CreateRunRequest): Promise<Run> {
    const { RunSchema } = await moneySchemas();
    return this.call((http) => http.post('/v1/runs', request, { schema: RunSchema }));
  }

  async endRun(id: string): Promise<Run> {
    const { RunSchema } = await moneySchemas();
    return this.call((http) => http.post(`/v1/runs/${segment(id)}/end`, {}, { schema: RunSchema }));
  }

  /** The kill switch (S4): anyone holding a credential may pull it. */
  async freeze(reason?: string): Promise<FreezeState> {
    const { FreezeStateSchema } = await moneySchemas();
    return this.call((http) =>
      http.post('/v1/freeze', reason ? { reason } : {}, { schema: FreezeStateSchema }),
    );
  }

  /** Lifting the freeze is a human gate: APPROVAL_REQUIRED until a human decided. */
  async unfreeze(): Promise<FreezeState> {
    const { FreezeStateSchema } = await moneySchemas();
    return this.call((http) => http.post('/v1/unfreeze', {}, { schema: FreezeStateSchema }));
  }

  async auditEvents(query: AuditQuery = {}): Promise<AuditEvent[]> {
    const { AuditListSchema } = await moneySchemas();
    const list = await this.call((http) =>
      http.get('/v1/audit', { query: { ...query }, schema: AuditListSchema }),
    );
    return list.events;
  }

  /** The orchestrator re-computes its hash chain (S5). */
  async verifyAudit(): Promise<AuditVerification> {
    const { AuditVerificationSchema } = await moneySchemas();
    return this.call((http) => http.get('/v1/audit/verify', { schema: AuditVerificationSchema }));
  }

  async approvals(status?: ApprovalStatus): Promise<Approval[]> {
    const { ApprovalListSchema } = await schemas();
    const list = await this.call((http) =>
      http.get('/v1/approvals', { query: { status }, schema: ApprovalListSchema }),
    );
    return list.approvals;
  }

  async approval(id: string): Promise<Approval> {
    const { ApprovalSchema } = await schemas();
    return this.call((http) => http.get(`/v1/approvals/${segment(id)}`, { schema: ApprovalSchema }));
  }

  async decide(
    id: string,
    decision: 'approve' | 'deny',
    body: { confirmation?: string | undefined; reason?: string | undefined },
  ): Promise<Approval> {
    const { ApprovalSchema } = await schemas();
    return this.call((http) =>
      http.post(`/v1/approvals/${segment(id)}/${decision}`, body, { schema: ApprovalSchema }),
    );
  }
}
