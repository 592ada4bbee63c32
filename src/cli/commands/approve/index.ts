import { type NextStep, ProjectsError } from '../../../protocol/errors.js';
import type { Approval } from '../../../protocol/orchestrator.js';
import { orchestratorApi } from '../../api.js';
import { approvalsTable, askToApprove, describeApproval } from '../../approval-view.js';
import { openInBrowser } from '../../browser.js';
import type { CommandInput } from '../../command.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';

export interface ApproveOptions {
  id?: string | undefined;
  deny: boolean;
  reason?: string | undefined;
  web: boolean;
}

/**
 * `projects approve`: without an id, the pending approvals; with one, that approval in full and — only for
 * a human at an interactive terminal, with a typed confirmation — the decision, which the orchestrator
 * records with who, how and when. `--web` opens the approval's page instead.
 */
export async function runApprove(options: ApproveOptions, factory: Factory): Promise<CommandResult> {
  const api = orchestratorApi(factory);
  if (!options.id) {
    assertNoDecisionFlags(options);
    return listPending(await api.approvals('pending'));
  }
  const approval = await api.approval(options.id);
  if (options.web) return openPage(factory, approval);
  if (approval.status !== 'pending') {
    return { data: approval, human: (style) => describeApproval(approval, style) };
  }
  const here = [
    { command: `projects approve ${approval.id}`, why: 'a human decides at an interactive terminal' },
    { command: `projects approve ${approval.id} --web`, why: 'or in the web page' },
  ];
  if (!factory.interactive) throw humanRequired(approval, factory.nonInteractiveReason, here);
  // Shown before asking, so the human decides on the whole picture.
  factory.output.info(describeApproval(approval));
  const prompter = await factory.prompter(here);
  if (options.deny) {
    if (!(await prompter.confirm(`Deny: ${approval.title}?`, true))) throw cancelled();
    const denied = await api.decide(approval.id, 'deny', { reason: options.reason });
    return decided(denied);
  }
  const decision = await askToApprove(prompter, approval);
  if (!decision.approved) throw cancelled();
  return decided(
    await api.decide(approval.id, 'approve', { confirmation: decision.confirmation, reason: options.reason }),
  );
}

/** `--deny`, `--reason` and `--web` act on one approval: without an id they would be silently ignored. */
function assertNoDecisionFlags(options: ApproveOptions): void {
  const given = [
    options.deny && '--deny',
    options.reason !== undefined && '--reason',
    options.web && '--web',
  ].filter((flag): flag is string => typeof flag === 'string');
  if (given.length === 0) return;
  throw new ProjectsError('INVALID_ARGUMENT', `${given.join(', ')} needs the id of an approval`, {
    details: { flags: given },
    next: [{ command: 'projects approve', why: 'list the pending approvals and their ids' }],
  });
}

function listPending(approvals: Approval[]): CommandResult {
  return {
    data: { approvals },
    human: () => (approvals.length ? approvalsTable(approvals) : ''),
    next: approvals.length
      ? [{ command: `projects approve ${approvals[0]!.id}`, why: 'review and decide one' }]
      : [],
    warnings: [],
  };
}

async function openPage(factory: Factory, approval: Approval): Promise<CommandResult> {
  const opened = await openInBrowser(factory, approval.url);
  if (!opened) factory.output.info(`Open ${approval.url} to decide.`);
  return { data: { approval, url: approval.url, opened }, human: () => approval.url };
}

function decided(approval: Approval): CommandResult {
  return {
    data: approval,
    human: (style) =>
      `${approval.status === 'approved' ? style.green('Approved') : style.red('Denied')}: ${approval.title} (${approval.id})`,
  };
}

/**
 * Nobody at the terminal can decide, so nothing is decided (S8: at once). The approval goes along in
 * full, for an agent to relay to its human word for word.
 */
function humanRequired(approval: Approval, reason: string | undefined, next: NextStep[]): ProjectsError {
  return new ProjectsError(
    'HUMAN_REQUIRED',
    `only a human can decide ${approval.id}, at a terminal or in the web page`,
    {
      details: { reason, approval_id: approval.id, url: approval.url, approval },
      next,
    },
  );
}

function cancelled(): ProjectsError {
  return new ProjectsError('INTERRUPTED', 'cancelled; the approval is still pending');
}

export function run(factory: Factory, { args, options }: CommandInput): Promise<CommandResult> {
  return runApprove(
    {
      id: args[0],
      deny: Boolean(options.deny),
      reason: options.reason as string | undefined,
      web: Boolean(options.web),
    },
    factory,
  );
}
