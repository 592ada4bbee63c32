import { ProjectsError } from '../../../protocol/errors.js';
import type { FreezeState } from '../../../protocol/money.js';
import { orchestratorApi } from '../../api.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';
import { runApprove } from '../approve/index.js';

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
  try {
    return lifted(await api.unfreeze());
  } catch (error) {
    const approvalId = approvalOf(error);
    if (!approvalId || !factory.interactive)
      throw error instanceof ProjectsError ? error.with({ next: [RERUN] }) : error;
    await runApprove({ id: approvalId, deny: false, web: false }, factory);
    return lifted(await api.freezeState());
  }
}

function approvalOf(error: unknown): string | undefined {
  if (!(error instanceof ProjectsError) || error.code !== 'APPROVAL_REQUIRED') return undefined;
  const id = error.details?.approval_id;
  return typeof id === 'string' ? id : undefined;
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
