import { orchestratorSession } from '../../credentials.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';

/** `projects whoami`: who the credential belongs to, where, with which scopes, and where it came from. */
export async function runWhoami(factory: Factory): Promise<CommandResult> {
  const session = orchestratorSession(factory);
  const me = await session.call((token) => session.auth.me(token));
  const { source } = await session.credential();
  const data = {
    orchestrator: session.orchestrator,
    user: me.user,
    kind: me.kind,
    scopes: me.scopes,
    source,
    credential: me.credential,
  };
  return {
    data,
    human: () =>
      [
        `${me.user.email} (${me.kind === 'human' ? 'signed in' : `token ${me.credential.id}`})`,
        `orchestrator: ${session.orchestrator}`,
        `scopes:       ${me.scopes.join(', ')}`,
        `credential:   ${source}${me.credential.expires_at ? `, expires ${me.credential.expires_at}` : ''}`,
      ].join('\n'),
  };
}

export function run(factory: Factory): Promise<CommandResult> {
  return runWhoami(factory);
}
