import { formatMoney } from '../../../core/money.js';
import { ProjectsError } from '../../../protocol/errors.js';
import type { AuditEvent } from '../../../protocol/money.js';
import { orchestratorApi } from '../../api.js';
import type { CommandInput } from '../../command.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';
import { table } from '../../style.js';

export interface AuditOptions {
  since?: string | undefined;
  run?: string | undefined;
  verify: boolean;
}

/** `projects audit`: the orchestrator's hash-chained log; `--verify` re-computes the chain there. */
export async function runAudit(options: AuditOptions, factory: Factory): Promise<CommandResult> {
  return options.verify ? verify(factory) : list(options, factory);
}

async function list(options: AuditOptions, factory: Factory): Promise<CommandResult> {
  const events = await orchestratorApi(factory).auditEvents({ since: options.since, run: options.run });
  return { data: { events }, human: () => renderEvents(events) };
}

async function verify(factory: Factory): Promise<CommandResult> {
  const result = await orchestratorApi(factory).verifyAudit();
  if (!result.ok && result.first_bad) {
    const bad = result.first_bad;
    throw new ProjectsError(
      'AUDIT_CHAIN_BROKEN',
      `the audit log does not verify: event ${bad.id ?? `#${bad.seq}`} ${bad.reason} (${result.checked} events before it verified)`,
      { details: { ...result } },
    );
  }
  return { data: result, human: () => `audit log verified: ${result.checked} events, chain intact` };
}

function renderEvents(events: AuditEvent[]): string {
  if (events.length === 0) return 'no audit events';
  return table(
    ['time', 'actor', 'action', 'subject', 'price', 'result', 'authorized by'],
    events.map((event) => [
      event.created_at,
      event.run_id ? `${event.actor} (${event.run_id})` : event.actor,
      event.action,
      event.subject ?? '',
      event.price ? formatMoney(event.price.amount, event.price.currency) : '',
      event.result,
      authorizedBy(event.details),
    ]),
  );
}

/** Why a purchase went through (S5): the approval a human decided, or the policy rule and its threshold. */
export function authorizedBy(details: Record<string, unknown>): string {
  const { authorized_by: by, rule, threshold, approval_id: approvalId } = details;
  if (by === 'approval' && typeof approvalId === 'string') return approvalId;
  if (by !== 'policy') return '';
  if (rule === 'auto_approve_below' && isMoney(threshold)) {
    return `policy: auto-approve up to ${formatMoney(threshold.amount, threshold.currency)}`;
  }
  return `policy: ${String(rule)}`;
}

function isMoney(value: unknown): value is { amount: number; currency: string } {
  const money = value as { amount?: unknown; currency?: unknown } | null;
  return typeof money?.amount === 'number' && typeof money.currency === 'string';
}

/** `--since 24h` means 24 hours ago; anything else is passed through as an ISO 8601 time. */
export function sinceTime(value: string | undefined, now = Date.now()): string | undefined {
  if (value === undefined) return undefined;
  const relative = /^(\d+)(m|h|d)$/.exec(value);
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd'];
    return new Date(now - Number(relative[1]) * unit).toISOString();
  }
  if (Number.isNaN(Date.parse(value))) {
    throw new ProjectsError(
      'INVALID_ARGUMENT',
      `--since expects e.g. 24h or an ISO 8601 time, got '${value}'`,
    );
  }
  return new Date(value).toISOString();
}

export function run(factory: Factory, input: CommandInput): Promise<CommandResult> {
  const options = input.options as { since?: string; run?: string; verify?: boolean };
  return runAudit(
    { since: sinceTime(options.since), run: options.run, verify: Boolean(options.verify) },
    factory,
  );
}
