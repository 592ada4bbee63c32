import { orchestratorApi } from '../../api.js';
import type { CommandInput } from '../../command.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';

/**
 * `projects freeze`: the kill switch (S4). Anyone holding a credential for the account may pull it — an agent
 * too — and it acts at the orchestrator: outstanding payment tokens are revoked and every capture, token and
 * approval is refused from the acknowledgement on. Lifting it is a human gate (`projects unfreeze`).
 */
export async function runFreeze(reason: string | undefined, factory: Factory): Promise<CommandResult> {
  const state = await orchestratorApi(factory).freeze(reason);
  return {
    data: state,
    human: () =>
      `Frozen. ${state.revoked_tokens ?? 0} payment token(s) revoked, ${state.ended_runs ?? 0} run(s) ended; no spending until a human unfreezes.`,
    next: [{ command: 'projects unfreeze', why: 'a human lifts the freeze after checking what happened' }],
  };
}

export function run(factory: Factory, input: CommandInput): Promise<CommandResult> {
  return runFreeze(input.options.reason as string | undefined, factory);
}
