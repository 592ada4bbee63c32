import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizedBy, sinceTime } from '../../src/cli/commands/audit/index.js';
import { runBudget } from '../../src/cli/commands/budget/index.js';
import { runUnfreeze } from '../../src/cli/commands/unfreeze/index.js';
import { testIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { plainStyle } from '../../src/cli/style.js';
import { parseUsd } from '../../src/core/money.js';
import { testFactory } from '../helpers/factory.js';
import { answerPrompts } from '../helpers/prompter.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox.close());

/** Runs the CLI in-process as an agent would: non-interactive, JSON, with a token in PROJECTS_TOKEN. */
async function agent(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const io = testIO();
  const home = mkdtempSync(join(tmpdir(), 'projects-home-'));
  const code = await main([...argv, '--json'], {
    io,
    cwd: home,
    env: {
      PROJECTS_HOME: home,
      CI: '1',
      PROJECTS_ORCHESTRATOR_URL: sandbox.url,
      PROJECTS_TOKEN: await sandbox.accessToken(),
      ...env,
    },
  });
  return { code, envelope: JSON.parse(io.out()), stderr: io.err() };
}

describe('spend commands against the sandbox orchestrator', () => {
  it('starts a run with a budget and ends it', async () => {
    const started = await agent(['run', 'start', '--budget', '12.50', '--ttl', '1h']);
    expect(started.code).toBe(0);
    expect(started.envelope.data).toMatchObject({ status: 'active', budget: 1250, spent: 0 });
    const runId = started.envelope.data.id as string;
    expect(started.envelope.next[0].command).toBe(`export PROJECTS_RUN_ID=${runId}`);
    const ended = await agent(['run', 'end'], { PROJECTS_RUN_ID: runId });
    expect(ended.code).toBe(0);
    expect(ended.envelope.data).toMatchObject({ id: runId, status: 'ended' });
  });

  it('shows the budget and lowers a cap at once, but never raises one without a human', async () => {
    const shown = await agent(['budget']);
    expect(shown.code).toBe(0);
    expect(shown.envelope.data.limits.provider_monthly_cap).toBe(10_000);
    const lowered = await agent(['budget', '--provider', 'edge', '--monthly-cap', '40']);
    expect(lowered.code).toBe(0);
    expect(lowered.envelope.data.limits.provider_caps.edge).toBe(4_000);
    const raised = await agent(['budget', '--provider', 'edge', '--monthly-cap', '400']);
    expect(raised.envelope.ok).toBe(false);
    expect(raised.code).not.toBe(0);
    const after = await agent(['budget']);
    expect(after.envelope.data.limits.provider_caps.edge).toBe(4_000);
  });

  it('lowers the auto-approve threshold at once; an agent cannot raise it, a human at a terminal can', async () => {
    const refused = await agent(['budget', '--auto-approve-below', '5']);
    expect(refused.code).toBe(4);
    expect(refused.envelope.error.code).toBe('APPROVAL_REQUIRED');
    const approvalId = refused.envelope.error.details.approval_id as string;
    expect(refused.envelope.next.map((step: { command: string }) => step.command)).toEqual([
      `projects approve ${approvalId}`,
      'projects budget --auto-approve-below 5',
    ]);
    expect((await agent(['budget'])).envelope.data.limits.auto_approve_below).toBe(0);

    const { factory, io } = testFactory({
      tty: true,
      env: { PROJECTS_ORCHESTRATOR_URL: sandbox.url, PROJECTS_TOKEN: await sandbox.accessToken() },
    });
    const { asked } = answerPrompts(factory, [true]);
    const result = await runBudget(
      { changes: { auto_approve_below: 500 }, rerun: { command: 'projects budget', why: 'rerun' } },
      factory,
    );
    expect(asked).toEqual([expect.stringContaining('auto approve below $0.00 → $5.00')]);
    expect(result.data).toMatchObject({ limits: { auto_approve_below: 500 } });
    expect(result.human?.(plainStyle)).toContain('Auto-approve: refundable purchases up to $5.00');
    expect(io.err()).not.toContain('Lowered');

    const lowered = await agent(['budget', '--auto-approve-below', '0']);
    expect(lowered.code).toBe(0);
    expect(lowered.envelope.data.limits.auto_approve_below).toBe(0);
  });

  it('freezes, and the audit log records it and verifies', async () => {
    const frozen = await agent(['freeze', '--reason', 'runaway loop']);
    expect(frozen.code).toBe(0);
    expect(frozen.envelope.data).toMatchObject({ frozen: true, reason: 'runaway loop' });
    const run = await agent(['run', 'start', '--budget', '5']);
    expect(run.code).toBe(6);
    expect(run.envelope.error.code).toBe('FROZEN');
    const audit = await agent(['audit', '--since', '1h']);
    expect(audit.envelope.data.events.map((event: { action: string }) => event.action)).toContain('freeze');
    const verified = await agent(['audit', '--verify']);
    expect(verified.code).toBe(0);
    expect(verified.envelope.data.ok).toBe(true);
  });

  it('never lets an agent unfreeze; a human at a terminal lifts the freeze', async () => {
    const refused = await agent(['unfreeze']);
    expect(refused.code).toBe(4);
    expect(refused.envelope.error.code).toBe('APPROVAL_REQUIRED');
    const approvalId = refused.envelope.error.details.approval_id as string;
    expect(refused.envelope.next.map((step: { command: string }) => step.command)).toEqual(
      expect.arrayContaining([expect.stringContaining(approvalId), 'projects unfreeze']),
    );
    expect((await agent(['budget'])).envelope.data.frozen).toBe(true);

    const { factory } = testFactory({
      tty: true,
      env: { PROJECTS_ORCHESTRATOR_URL: sandbox.url, PROJECTS_TOKEN: await sandbox.accessToken() },
    });
    const { asked } = answerPrompts(factory, [true]);
    const result = await runUnfreeze(factory);
    expect(asked).toEqual([expect.stringContaining('Approve: Lift the spending freeze')]);
    expect(result.data).toMatchObject({ frozen: false });
    expect((await agent(['budget'])).envelope.data.frozen).toBe(false);
  });

  it('names the first bad event when the audit table was edited behind the orchestrator', async () => {
    const first = sandbox.db.prepare('SELECT id FROM audit_events ORDER BY seq LIMIT 1').get() as {
      id: string;
    };
    sandbox.db.prepare("UPDATE audit_events SET result = 'tampered' WHERE id = ?").run(first.id);
    const verified = await agent(['audit', '--verify']);
    expect(verified.code).toBe(1);
    expect(verified.envelope.error.code).toBe('AUDIT_CHAIN_BROKEN');
    expect(verified.envelope.error.message).toContain(first.id);
  });
});

describe('argument parsing', () => {
  it('reads dollar amounts into minor units and refuses anything else', () => {
    expect(parseUsd('25', '--budget')).toBe(2500);
    expect(parseUsd('$25.5', '--budget')).toBe(2550);
    expect(parseUsd('0.07', '--budget')).toBe(7);
    for (const bad of ['-1', '1.234', 'ten', '1e3', '']) {
      expect(() => parseUsd(bad, '--budget')).toThrow(/--budget expects/);
    }
  });

  it('says in the audit table who let a purchase through', () => {
    const threshold = { amount: 500, currency: 'usd' };
    expect(authorizedBy({ authorized_by: 'policy', rule: 'auto_approve_below', threshold })).toBe(
      'policy: auto-approve up to $5.00',
    );
    expect(authorizedBy({ authorized_by: 'policy', rule: 'free' })).toBe('policy: free');
    expect(authorizedBy({ authorized_by: 'approval', approval_id: 'apr_1' })).toBe('apr_1');
    expect(authorizedBy({ service: 'data/kv:pro' })).toBe('');
  });

  it('turns relative --since values into times', () => {
    expect(sinceTime('2h', Date.parse('2026-12-04T12:00:00Z'))).toBe('2026-12-04T10:00:00.000Z');
    expect(() => sinceTime('yesterday')).toThrow(/--since/);
  });
});
