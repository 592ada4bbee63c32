import { formatMoney, parseUsd } from '../../../core/money.js';
import type { Budget, UpdateBudgetRequest } from '../../../protocol/money.js';
import { orchestratorApi } from '../../api.js';
import type { CommandInput } from '../../command.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';
import { table } from '../../style.js';

export interface BudgetOptions {
  /** The limits to change; empty to only show them. */
  changes: UpdateBudgetRequest;
}

/**
 * `projects budget`: spend this month against every limit. With flags it changes limits: the orchestrator
 * lowers at once and turns any raise into a human gate, so an agent can tighten but never loosen.
 */
export async function runBudget(options: BudgetOptions, factory: Factory): Promise<CommandResult> {
  const api = orchestratorApi(factory);
  const warnings: string[] = [];
  if (Object.keys(options.changes).length > 0) {
    const updated = await api.updateBudget(options.changes);
    if (updated.applied.length) factory.output.info(`Lowered: ${updated.applied.join(', ')}`);
  }
  const budget = await api.budget();
  if (budget.frozen) warnings.push('spending is frozen; `projects unfreeze` (a human gate) lifts it');
  return { data: budget, human: () => renderBudget(budget), warnings };
}

function renderBudget(budget: Budget): string {
  const money = (amount: number) => formatMoney(amount, budget.spend.currency);
  const { limits, spend } = budget;
  const rows = spend.by_provider.map((p) => [p.provider, money(p.spent), money(p.reserved), money(p.cap)]);
  return [
    `Month ${spend.month}: spent ${money(spend.spent)} (+${money(spend.reserved)} reserved) of ${money(limits.global_monthly_cap)}${budget.frozen ? '  [FROZEN]' : ''}`,
    `Per provider cap ${money(limits.provider_monthly_cap)} · per purchase outside a run ${money(limits.per_invocation_ceiling)} · at most ${limits.velocity.max_operations} purchases per ${limits.velocity.window_seconds} s`,
    rows.length ? `\n${table(['provider', 'spent', 'reserved', 'cap'], rows)}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export function run(factory: Factory, input: CommandInput): Promise<CommandResult> {
  const { provider, monthlyCap, runCeiling } = input.options as Record<string, string | undefined>;
  const changes: UpdateBudgetRequest = {};
  if (monthlyCap !== undefined) {
    const cap = parseUsd(monthlyCap, '--monthly-cap');
    if (provider) changes.provider_caps = { [provider]: cap };
    else changes.global_monthly_cap = cap;
  }
  if (runCeiling !== undefined) changes.per_invocation_ceiling = parseUsd(runCeiling, '--run-ceiling');
  return runBudget({ changes }, factory);
}
