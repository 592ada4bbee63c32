import type { OrchestratorAuthClient } from '../../../client/auth.js';
import type { LoginRecord } from '../../../credentials/types.js';
import { authClient, credentialStore, orchestratorUrl } from '../../credentials.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';

/** Revokes the grant at the orchestrator: the refresh token takes the whole grant with it. */
async function revokeLogin(auth: OrchestratorAuthClient, login: LoginRecord): Promise<void> {
  if (login.refreshToken) await auth.revoke(login.refreshToken, 'refresh_token');
  await auth.revoke(login.accessToken, 'access_token');
}

/**
 * `projects logout`: revokes the login at the orchestrator and deletes it locally. The local copy goes
 * even when the orchestrator cannot be reached, so that signing out never depends on the network.
 */
export async function runLogout(factory: Factory): Promise<CommandResult> {
  const orchestrator = orchestratorUrl(factory);
  if (factory.env.PROJECTS_TOKEN) {
    factory.output.warn(
      'PROJECTS_TOKEN is set and still applies; unset it too (logout only removes stored logins)',
    );
  }
  const store = await credentialStore(factory);
  const login = await store.getLogin(orchestrator);
  if (!login) {
    return {
      data: { orchestrator, signed_out: false, revoked: false },
      human: () => `Not signed in to ${orchestrator}`,
    };
  }
  let revoked = true;
  try {
    await revokeLogin(authClient(factory, orchestrator), login);
  } catch (error) {
    revoked = false;
    factory.output.warn(
      `the orchestrator did not revoke the login (${(error as Error).message}); deleted it locally`,
    );
  }
  await store.deleteLogin(orchestrator);
  return {
    data: { orchestrator, signed_out: true, revoked },
    human: () => `Signed out of ${orchestrator}`,
  };
}

export function run(factory: Factory): Promise<CommandResult> {
  return runLogout(factory);
}
