import type { FreezeState } from '../../../protocol/money.js';
import { orchestratorApi } from '../../api.js';
import type { Factory } from '../../factory.js';
import { throughApprovals } from '../../gates.js';
import type { CommandResult } from '../../output.js';

const RERUN = {
  command: 'projects unfreeze',
  why: 'rerun once a human has approved; the freeze is then lifted',
};

/**
 * `projects unfreeze`: lifting the kill switch is a human gate. The orchestrator answers APPROVAL_REQUIRED
 * with an approval; a human at this terminal decides it right here (typed confirmation), anyone else gets
 * the approval to relay — an agent can never lift a freeze on its own.
 */
export async function runUnfreeze(factory: Factory): Promise<CommandResult> {
  const api = orchestratorApi(factory);
  return lifted(await throughApprovals(factory, api, RERUN, 'spending stays frozen', () => api.unfreeze()));
}

function lifted(state: FreezeState): CommandResult {
  return {
    data: state,
    human: () =>
      state.frozen
        ? `Still frozen since ${state.frozen_at}`
        : 'Spending is allowed again, within the limits.',
  };
}

export function run(factory: Factory): Promise<CommandResult> {
  return runUnfreeze(factory);
}
