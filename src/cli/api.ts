import type { HttpClient } from '../client/http.js';
import { OrchestratorApi } from '../client/orchestrator.js';
import { normalizeOrchestratorUrl } from '../credentials/store.js';
import { ProjectsError } from '../protocol/errors.js';
import { orchestratorSession } from './credentials.js';
import type { Factory } from './factory.js';

export interface ApiOptions {
  /** Defaults to the command's orchestrator (flag, environment, projects.json, config, sandbox). */
  orchestrator?: string;
  /** Public reads (the catalog): without any credential, ask anonymously instead of failing. */
  anonymous?: boolean;
}

/**
 * The orchestrator API with this command's credential (`--token` > `PROJECTS_TOKEN` > the stored login,
 * refreshed as needed). Without one, AUTH_REQUIRED names the login to run.
 */
export function orchestratorApi(factory: Factory, options: ApiOptions = {}): OrchestratorApi {
  const orchestrator = normalizeOrchestratorUrl(options.orchestrator ?? factory.requireOrchestratorUrl());
  const session = orchestratorSession(factory, orchestrator);
  return new OrchestratorApi(async <T>(action: (http: HttpClient) => Promise<T>) => {
    if (options.anonymous && !(await hasCredential(session))) return action(factory.http(orchestrator));
    return session.call((token) => action(factory.http(orchestrator, token)));
  });
}

async function hasCredential(session: ReturnType<typeof orchestratorSession>): Promise<boolean> {
  try {
    await session.credential();
    return true;
  } catch (error) {
    if (error instanceof ProjectsError && error.code === 'AUTH_REQUIRED') return false;
    throw error;
  }
}
