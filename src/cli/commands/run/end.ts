import { formatMoney } from '../../../core/money.js';
import { ProjectsError } from '../../../protocol/errors.js';
import { orchestratorApi } from '../../api.js';
import type { CommandInput } from '../../command.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';

/** `projects run end [id]`: ends the run (default: PROJECTS_RUN_ID); its unspent budget can no longer be used. */
export async function runRunEnd(runId: string, factory: Factory): Promise<CommandResult> {
  const ended = await orchestratorApi(factory).endRun(runId);
  return {
    data: ended,
    human: () =>
      `${ended.id} ${ended.status}: spent ${formatMoney(ended.spent, ended.currency)} of ${formatMoney(ended.budget, ended.currency)}`,
  };
}

export function run(factory: Factory, input: CommandInput): Promise<CommandResult> {
  const runId = input.args[0] ?? factory.env.PROJECTS_RUN_ID;
  if (!runId) {
    throw new ProjectsError('INVALID_ARGUMENT', 'which run? give its id or set PROJECTS_RUN_ID', {
      next: [{ command: 'projects run end run_…', why: 'end a specific run' }],
    });
  }
  return runRunEnd(runId, factory);
}
