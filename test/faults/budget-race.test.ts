import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/protocol/money.js';
import type { Answer } from '../runs/harness.js';
import { type FaultSandbox, SPEND_REFUSALS, startFaultSandbox } from './harness.js';

/**
 * Issue 8 item 7: 100 agents share one run and race to buy with it at the same moment. The run's
 * ceiling holds exactly — never a cent over, no double charge — every loser gets a documented spend
 * refusal that says not to retry, and the race leaves a consistent ledger and a verifiable audit chain.
 */
const AGENTS = 100;
const PRICE = 900; // data/kv:pro, per month
const BUDGET = 5_000; // room for five purchases, not six

let sandbox: FaultSandbox;
let project: string;
let runId: string;
let agent: string;

beforeAll(async () => {
  // No faults here, and a generous deadline: 100 purchases at once must not trip the provider's timeout.
  sandbox = await startFaultSandbox('data', 30_000);
  project = await sandbox.createProject('race');
  const run = await sandbox.api<Run>('POST', '/v1/runs', { budget: BUDGET, project_id: project, ttl: '1h' });
  expect(run.status).toBe(201);
  runId = run.body.id;
  agent = await sandbox.agentToken(['read', 'provision:free', 'provision:paid']);
});
afterAll(() => sandbox?.close());

const request = (i: number) => ({
  service: 'data/kv:pro',
  name: `cache-${i}`,
  idempotency_key: `race-agent-${i}`,
  run_id: runId,
});
const everyAgent = (send: (i: number) => Promise<Answer>) =>
  Promise.all(Array.from({ length: AGENTS }, (_, i) => send(i)));
const provision = (i: number) => sandbox.api('POST', `/v1/projects/${project}/provision`, request(i), agent);

function runState(): Promise<Answer<Run>> {
  return sandbox.api<Run>('GET', `/v1/runs/${runId}`);
}

describe('100 agents racing one run budget', () => {
  // 100 purchases at once take a while on a loaded two-core machine.
  it('spends exactly up to the ceiling, once per winner, and refuses the rest with BUDGET_EXCEEDED', {
    timeout: 180_000,
  }, async () => {
    // Each purchase is paid and irreversible: a human approves all of them first (no race yet).
    const gated: Answer[] = [];
    for (let i = 0; i < AGENTS; i++) gated.push(await provision(i));
    expect(gated.map((answer) => answer.body.error?.code)).toEqual(Array(AGENTS).fill('APPROVAL_REQUIRED'));
    for (const answer of gated) await sandbox.approveIfAsked(answer);

    const race = await everyAgent(provision);
    const winners = race.filter((answer) => answer.status === 201);
    const losers = race.filter((answer) => answer.status >= 300);
    expect(winners).toHaveLength(Math.floor(BUDGET / PRICE));
    for (const loser of losers) {
      expect(loser.status, JSON.stringify(loser.body)).toBe(402);
      expect(loser.body.error).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { retryable: false } });
      expect(loser.body.error?.message).toMatch(/do not retry/i);
    }
    expect(sandbox.captures(project)).toEqual({ n: winners.length, total: winners.length * PRICE });
    const run = (await runState()).body;
    expect(run).toMatchObject({ spent: winners.length * PRICE, reserved: 0 });
    expect(run.spent + run.reserved).toBeLessThanOrEqual(BUDGET);
  });

  it('agents that retry all at once change nothing: winners get their first result, losers the same refusal', {
    timeout: 120_000,
  }, async () => {
    const before = sandbox.captures(project);
    const retry = await everyAgent(provision);
    const replays = retry.filter((answer) => answer.status === 200);
    expect(replays).toHaveLength(before.n);
    for (const replay of replays) expect(replay.body).toMatchObject({ replayed: true });
    for (const answer of retry.filter((a) => a.status >= 300)) {
      expect(SPEND_REFUSALS).toContain(answer.body.error?.code);
    }
    expect(sandbox.captures(project)).toEqual(before);
    expect((await sandbox.api('GET', '/v1/audit/verify')).body).toMatchObject({ ok: true, first_bad: null });
  });
});
