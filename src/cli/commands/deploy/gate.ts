import type { NextStep } from '../../../protocol/errors.js';
import { orchestratorApi } from '../../api.js';
import type { Factory } from '../../factory.js';
import { throughApprovals } from '../../gates.js';

/**
 * The production gate of `deploy --prod`, `deploy promote` and a rollback to a never-published deployment:
 * the orchestrator hands out a publish grant when the credential carries `deploy:production` (a CI token)
 * or a human approved this exact publication. Otherwise it answers APPROVAL_REQUIRED: a human at this
 * terminal may approve it here by typing the deployment's id; without one the command exits 4 at once.
 */

export interface PublishRequest {
  projectId: string;
  siteId: string;
  deploymentId: string;
  /** The command that finishes the job once a human decided. */
  rerun: NextStep;
}

export async function publishGrant(factory: Factory, request: PublishRequest): Promise<string> {
  const api = orchestratorApi(factory);
  const answer = await throughApprovals(factory, api, request.rerun, 'nothing was published', () =>
    api.publishGrant(request.projectId, {
      provider: 'edge',
      site_id: request.siteId,
      deployment_id: request.deploymentId,
    }),
  );
  return answer.grant;
}
