import { OrchestratorAuthClient } from '../client/auth.js';
import { OrchestratorSession } from '../client/session.js';
import { type CredentialStore, normalizeOrchestratorUrl, openCredentialStore } from '../credentials/store.js';
import type { Factory } from './factory.js';

const stores = new WeakMap<Factory, Promise<CredentialStore>>();
/** One session per command and orchestrator: the credential is read (and refreshed) once, not per call. */
const sessions = new WeakMap<Factory, Map<string, OrchestratorSession>>();

/**
 * The credential store of this command, opened once: its choice is announced on stderr and every secret
 * it hands out is registered with the command's redactor.
 */
export function credentialStore(factory: Factory): Promise<CredentialStore> {
  let store = stores.get(factory);
  if (!store) {
    store = openCredentialStore({
      env: factory.env,
      paths: factory.paths,
      notice: (line) => factory.output.info(line),
      onSecret: (value) => factory.redactor.register(value),
    });
    stores.set(factory, store);
  }
  return store;
}

/** The orchestrator this command talks to, in the normalised form logins are keyed by. */
export function orchestratorUrl(factory: Factory): string {
  return normalizeOrchestratorUrl(factory.requireOrchestratorUrl());
}

export function authClient(factory: Factory, orchestrator: string): OrchestratorAuthClient {
  return new OrchestratorAuthClient(factory.http(orchestrator), (token) => factory.http(orchestrator, token));
}

/**
 * The credential for the orchestrator (`--token` > `PROJECTS_TOKEN` > stored login, refreshed as needed).
 * Commands that call the orchestrator use `session.call((token) => …)`.
 */
export function orchestratorSession(
  factory: Factory,
  orchestrator = orchestratorUrl(factory),
): OrchestratorSession {
  let byOrchestrator = sessions.get(factory);
  if (!byOrchestrator) {
    byOrchestrator = new Map();
    sessions.set(factory, byOrchestrator);
  }
  let session = byOrchestrator.get(orchestrator);
  if (!session) {
    session = new OrchestratorSession({
      orchestrator,
      flagToken: factory.globals.token,
      envToken: factory.env.PROJECTS_TOKEN || undefined,
      openStore: () => credentialStore(factory),
      auth: authClient(factory, orchestrator),
    });
    byOrchestrator.set(orchestrator, session);
  }
  return session;
}
