import { formatMoney } from '../core/money.js';
import type { Approval } from '../protocol/orchestrator.js';
import { describePrice } from './pricing.js';
import type { Prompter } from './prompt.js';
import { plainStyle, type Style, table } from './style.js';

/** One approval in full: what, by which run, the price and whether it can be undone, names side by side. */
export function describeApproval(approval: Approval, style: Style = plainStyle): string {
  const lines = [`${style.bold(approval.title)}  ${style.dim(`(${approval.id}, ${approval.status})`)}`];
  const field = (label: string, value: string) => lines.push(`  ${label.padEnd(12)}${value}`);
  if (approval.provider) field('provider', approval.provider);
  if (approval.service) field('service', approval.service);
  if (approval.name_asked !== null || approval.name_offered !== null) {
    const differs = approval.name_asked !== approval.name_offered;
    field('name asked', approval.name_asked ?? '—');
    field('offered', differs ? style.red(approval.name_offered ?? '—') : (approval.name_offered ?? '—'));
    if (differs) lines.push(`  ${style.red('the name offered is NOT the name asked for')}`);
  }
  field('price', priceOf(approval));
  field('refundable', approval.refundable ? 'yes' : style.yellow('no — this cannot be undone'));
  if (approval.run_id) field('run', approval.run_id);
  if (approval.project_id) field('project', approval.project_id);
  for (const warning of approval.warnings) lines.push(`  ${style.yellow('!')} ${warning}`);
  field('page', approval.url);
  field('expires', approval.expires_at);
  if (approval.decided_by) {
    field(
      'decided',
      `${approval.status} by ${approval.decided_by} via ${approval.decided_via} at ${approval.decided_at}`,
    );
  }
  if (approval.reason) field('reason', approval.reason);
  return lines.join('\n');
}

export function approvalsTable(approvals: readonly Approval[]): string {
  return table(
    ['id', 'status', 'what', 'price', 'expires'],
    approvals.map((approval) => [
      approval.id,
      approval.status,
      approval.title,
      priceOf(approval),
      approval.expires_at,
    ]),
  );
}

function priceOf(approval: Approval): string {
  if (!approval.price) return '—';
  if (!approval.billing) return formatMoney(approval.price.amount, approval.price.currency);
  return describePrice(approval.price.amount, approval.price.currency, approval.billing, null);
}

/**
 * Asks the human to decide. When the approval names a confirmation (the exact item of an irreversible
 * purchase) they must type it; otherwise they answer a yes/no question whose default is no.
 */
export async function askToApprove(
  prompter: Prompter,
  approval: Approval,
): Promise<{ approved: boolean; confirmation?: string }> {
  if (approval.confirmation !== null) {
    const typed = await prompter.typeToConfirm(
      `Type ${approval.confirmation} exactly to approve (anything else cancels)`,
      approval.confirmation,
    );
    return typed ? { approved: true, confirmation: approval.confirmation } : { approved: false };
  }
  return { approved: await prompter.confirm(`Approve: ${approval.title}?`, false) };
}
