import { formatMoney } from '../../../core/money.js';
import type { Budget } from '../../../protocol/money.js';
import type { ProjectStatus } from '../../../protocol/orchestrator.js';
import { orchestratorApi } from '../../api.js';
import { approvalsTable } from '../../approval-view.js';
import { credentialLines } from '../../credential-names.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';
import { type Style, table } from '../../style.js';

export interface StatusData extends ProjectStatus {
  orchestrator: string;
  directory: string;
  /** Spend this month against the caps; null when this credential may not see it. */
  budget: Budget | null;
}

/**
 * `projects status`: the project's resources with their credentials by name, pending approvals, and spend
 * against caps. It reads only the orchestrator and projects.json — never the keychain — so a CI job with
 * `PROJECTS_TOKEN` gets it with no prompt and no credential store.
 */
export async function runStatus(factory: Factory): Promise<CommandResult<StatusData>> {
  const project = factory.requireProject();
  const orchestrator = factory.requireOrchestratorUrl();
  const api = orchestratorApi(factory, { orchestrator });
  const [status, budget] = await Promise.all([
    api.projectStatus(project.config.project_id),
    api.budget().catch((error: unknown) => {
      factory.output.warn(`spend limits are not available: ${(error as Error).message}`);
      return null;
    }),
  ]);
  const data: StatusData = { ...status, orchestrator, directory: project.dir, budget };
  const pending = status.pending_approvals;
  return {
    data,
    human: (style) => describeStatus(data, style),
    next: pending.length
      ? [{ command: `projects approve ${pending[0]!.id}`, why: 'a human decides what is waiting' }]
      : status.resources.length
        ? []
        : [{ command: 'projects catalog', why: 'find something to provision' }],
  };
}

function describeStatus(data: StatusData, style: Style): string {
  const active = data.resources.filter((resource) => resource.status === 'active');
  const sections = [
    `${style.bold(data.project.name)} (${data.project.id}) at ${data.orchestrator}`,
    '',
    style.bold('Resources'),
    active.length
      ? table(
          ['id', 'service', 'name', 'credentials'],
          active.map((resource) => [
            resource.id,
            `${resource.provider}/${resource.service}`,
            resource.name ?? '',
            credentialLines(resource.credential_names, resource.public_credentials).join(', '),
          ]),
        )
      : '  none',
    '',
    style.bold('Pending approvals'),
    data.pending_approvals.length ? approvalsTable(data.pending_approvals) : '  none',
    '',
    style.bold('Spend'),
    `  this project, this month: ${formatMoney(data.spend.this_month.amount, data.spend.this_month.currency)}`,
  ];
  if (data.budget) sections.push(...describeBudget(data.budget, style));
  return sections.join('\n');
}

function describeBudget(budget: Budget, style: Style): string[] {
  const { limits, spend } = budget;
  const money = (amount: number) => formatMoney(amount, spend.currency);
  const lines = [
    `  all projects, ${spend.month}: ${money(spend.spent)} of ${money(limits.global_monthly_cap)} (global cap)${spend.reserved ? `, ${money(spend.reserved)} reserved` : ''}`,
    ...spend.by_provider.map(
      (provider) =>
        `  ${provider.provider}: ${money(provider.spent)} of ${money(provider.cap)} (provider cap)`,
    ),
  ];
  if (budget.frozen) lines.push(`  ${style.red('FROZEN: all spending is stopped (projects unfreeze)')}`);
  return lines;
}

export function run(factory: Factory): Promise<CommandResult> {
  return runStatus(factory);
}
