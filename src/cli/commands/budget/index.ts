import { formatMoney, parseUsd } from '../../../core/money.js';
import type { NextStep } from '../../../protocol/errors.js';
import type { Budget, Limits, UpdateBudgetRequest } from '../../../protocol/money.js';
import { orchestratorApi } from '../../api.js';
import type { CommandInput } from '../../command.js';
import type { Factory } from '../../factory.js';
import { throughApprovals } from '../../gates.js';
import type { CommandResult } from '../../output.js';
import { commandLine } from '../../shell.js';
import { table } from '../../style.js';

export interface BudgetOptions {
  /** The limits to change; empty to only show them. */
  changes: UpdateBudgetRequest;
  /** The same command, for `next` when a raise waits for a human. */
  rerun: NextStep;
}

/**
 * `projects budget`: spend this month against every limit, and the auto-approve rule. With flags it changes
 * them: the orchestrator lowers at once and turns any raise into a human gate, so an agent can tighten but
 * never loosen. A human at this terminal decides that gate right here; anyone else gets the approval.
 */
export async function runBudget(options: BudgetOptions, factory: Factory): Promise<CommandResult> {
  const api = orchestratorApi(factory);
  const warnings: string[] = [];
  if (Object.keys(options.changes).length > 0) {
    const updated = await throughApprovals(factory, api, options.rerun, 'no limit was raised', () =>
      api.updateBudget(options.changes),
    );
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
    describeAutoApprove(limits),
    rows.length ? `\n${table(['provider', 'spent', 'reserved', 'cap'], rows)}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

function describeAutoApprove(limits: Limits): string {
  if (limits.auto_approve_below === 0) return 'Auto-approve: off (a human approves every paid purchase)';
  const threshold = formatMoney(limits.auto_approve_below, limits.currency);
  return `Auto-approve: refundable purchases up to ${threshold} go through without asking (non-refundable ones and look-alike names always ask)`;
}

export function run(factory: Factory, input: CommandInput): Promise<CommandResult> {
  const { provider, monthlyCap, runCeiling, autoApproveBelow } = input.options as Record<
    string,
    string | undefined
  >;
  const changes: UpdateBudgetRequest = {};
  const words = ['projects', 'budget'];
  if (monthlyCap !== undefined) {
    const cap = parseUsd(monthlyCap, '--monthly-cap');
    if (provider) changes.provider_caps = { [provider]: cap };
    else changes.global_monthly_cap = cap;
    words.push(...(provider ? ['--provider', provider] : []), '--monthly-cap', monthlyCap);
  }
  if (runCeiling !== undefined) {
    changes.per_invocation_ceiling = parseUsd(runCeiling, '--run-ceiling');
    words.push('--run-ceiling', runCeiling);
  }
  if (autoApproveBelow !== undefined) {
    changes.auto_approve_below = parseUsd(autoApproveBelow, '--auto-approve-below');
    words.push('--auto-approve-below', autoApproveBelow);
  }
  const rerun = { command: commandLine(words), why: 'once a human has approved, the raise is in place' };
  return runBudget({ changes, rerun }, factory);
}
