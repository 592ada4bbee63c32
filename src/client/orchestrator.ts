import type { Budget } from '../protocol/money.js';
import type {
  Approval,
  ApprovalStatus,
  CatalogResponse,
  Project,
  ProjectStatus,
  ProvisionRequest,
  ProvisionResponse,
} from '../protocol/orchestrator.js';
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

const segment = encodeURIComponent;

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
    return this.call((http) => http.get(`/v1/projects/${segment(id)}`, { schema: ProjectStatusSchema }));
  }

  async provision(projectId: string, request: ProvisionRequest): Promise<ProvisionResponse> {
    const { ProvisionResponseSchema } = await schemas();
    return this.call((http) =>
      http.post(`/v1/projects/${segment(projectId)}/provision`, request, {
        schema: ProvisionResponseSchema,
        idempotencyKey: request.idempotency_key,
      }),
    );
  }

  /** Spend this month against the caps, and whether spending is frozen (the money side of the API). */
  async budget(): Promise<Budget> {
    const { BudgetSchema } = await import('../protocol/money.js');
    return this.call((http) => http.get('/v1/budget', { schema: BudgetSchema }));
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
