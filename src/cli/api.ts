import { OrchestratorApi } from '../client/orchestrator.js';
import { ProjectsError } from '../protocol/errors.js';
import type { Factory } from './factory.js';

/**
 * The orchestrator API as this command's credential sees it. The credential is `--token`, then
 * `PROJECTS_TOKEN`; a command run without one answers AUTH_REQUIRED with the login to run.
 */
export function orchestratorApi(
  factory: Factory,
  orchestrator = factory.requireOrchestratorUrl(),
): OrchestratorApi {
  return new OrchestratorApi(async (action) => {
    const token = factory.globals.token ?? (factory.env.PROJECTS_TOKEN || undefined);
    if (!token) {
      throw new ProjectsError('AUTH_REQUIRED', `you are not signed in to ${orchestrator}`, {
        details: { orchestrator },
        next: [{ command: `projects login --orchestrator ${orchestrator}`, why: 'sign in first' }],
      });
    }
    return action(factory.http(orchestrator, token));
  });
}
