import { z } from 'zod';
import { type NextStep, ProjectsError } from '../../../protocol/errors.js';
import { orchestratorCall } from '../../credentials.js';
import type { Factory } from '../../factory.js';

/**
 * The production gate of `deploy --prod`, `deploy promote` and a rollback to a never-published deployment:
 * the orchestrator hands out a publish grant when the credential carries `deploy:production` (a CI token)
 * or a human approved this exact publication. Otherwise it answers APPROVAL_REQUIRED: a human at this
 * terminal may approve it here by typing the deployment's id; without one the command exits 4 at once.
 */

const PublishGrantAnswer = z.object({
  grant: z.string(),
  expires_at: z.string(),
  authorized_by: z.enum(['scope', 'approval']),
  approval_id: z.string().nullable(),
});

const ApprovalView = z.object({ id: z.string(), title: z.string(), url: z.string(), status: z.string() });

export interface PublishRequest {
  projectId: string;
  siteId: string;
  deploymentId: string;
  /** The command that finishes the job once a human decided. */
  rerun: NextStep;
}

function requestGrant(
  factory: Factory,
  request: PublishRequest,
): Promise<z.output<typeof PublishGrantAnswer>> {
  return orchestratorCall(factory, (http) =>
    http.post(
      `v1/projects/${encodeURIComponent(request.projectId)}/publish-grants`,
      { provider: 'edge', site_id: request.siteId, deployment_id: request.deploymentId },
      { schema: PublishGrantAnswer },
    ),
  );
}

function approvalIdOf(error: ProjectsError): string | undefined {
  const id = error.details?.approval_id;
  return typeof id === 'string' ? id : undefined;
}

export async function publishGrant(factory: Factory, request: PublishRequest): Promise<string> {
  try {
    return (await requestGrant(factory, request)).grant;
  } catch (error) {
    const approvalId = error instanceof ProjectsError ? approvalIdOf(error) : undefined;
    if (!(error instanceof ProjectsError) || error.code !== 'APPROVAL_REQUIRED' || !approvalId) throw error;
    const next = [
      { command: `projects approve ${approvalId}`, why: 'a human approves publishing to production' },
      request.rerun,
    ];
    if (!factory.interactive) throw error.with({ next });
    await approveHere(factory, approvalId, request.deploymentId, next);
    return (await requestGrant(factory, request)).grant;
  }
}

/** A human at the terminal approves by typing the deployment id (DESIGN.md §3). */
async function approveHere(factory: Factory, approvalId: string, deploymentId: string, next: NextStep[]) {
  const approval = await orchestratorCall(factory, (http) =>
    http.get(`v1/approvals/${approvalId}`, { schema: ApprovalView }),
  );
  factory.output.info(`${approval.title}\n  ${approval.url}`);
  const prompter = await factory.prompter(next);
  if (!(await prompter.typeToConfirm(`Type ${deploymentId} to publish it to production:`, deploymentId))) {
    throw new ProjectsError('APPROVAL_DENIED', 'not published: the confirmation did not match', { next });
  }
  await orchestratorCall(factory, (http) =>
    http.post(`v1/approvals/${approvalId}/approve`, { confirmation: deploymentId }),
  );
}
