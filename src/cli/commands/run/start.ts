import { formatMoney, parseUsd } from '../../../core/money.js';
import { ProjectsError } from '../../../protocol/errors.js';
import { orchestratorApi } from '../../api.js';
import type { CommandInput } from '../../command.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';

export interface RunStartOptions {
  /** Minor units. */
  budget: number;
  ttl: string;
}

/**
 * `projects run start --budget USD [--ttl 2h]`: a run caps what one agent session may spend. Human mode prints
 * only the id, so `export PROJECTS_RUN_ID=$(projects run start --budget 25)` works.
 */
export async function runRunStart(options: RunStartOptions, factory: Factory): Promise<CommandResult> {
  const projectId = factory.project()?.config.project_id;
  const run = await orchestratorApi(factory).startRun({
    budget: options.budget,
    currency: 'usd',
    ttl: options.ttl,
    ...(projectId ? { project_id: projectId } : {}),
  });
  factory.output.info(
    `Run ${run.id}: budget ${formatMoney(run.budget, run.currency)}, until ${run.expires_at}`,
  );
  return {
    data: run,
    human: () => run.id,
    next: [
      { command: `export PROJECTS_RUN_ID=${run.id}`, why: 'charge billable work to this run' },
      { command: `projects run end ${run.id}`, why: 'end the run when the work is done' },
    ],
  };
}

export function run(factory: Factory, input: CommandInput): Promise<CommandResult> {
  const budget = input.options.budget;
  if (typeof budget !== 'string') {
    throw new ProjectsError('INVALID_ARGUMENT', 'a run needs a budget: --budget <usd>', {
      next: [{ command: 'projects run start --budget 25', why: 'start a run that may spend at most $25' }],
    });
  }
  return runRunStart(
    { budget: parseUsd(budget, '--budget'), ttl: String(input.options.ttl ?? '2h') },
    factory,
  );
}
