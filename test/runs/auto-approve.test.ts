import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent, Budget } from '../../src/protocol/money.js';
import type { Approval, ProvisionResponse } from '../../src/protocol/orchestrator.js';
import { loadSandboxModules } from '../../src/sandbox/modules.js';
import { launchBrowser } from '../helpers/browser.js';
import { signInWithBrowser } from '../helpers/identity.js';
import { approvalIdOf, type RunsSandbox, startRunsSandbox } from './harness.js';
import { TRIAL_PROVIDER } from './trial-provider.js';

/**
 * The auto-approve rule end to end over real HTTP: off by default, raised only once a human approved it in
 * the web page (headless Chromium), lowered at once by anyone, never covering a non-refundable purchase,
 * and never lifting a spend cap. The steps run in order on one sandbox and one agent token.
 */
describe('auto-approving refundable purchases below a threshold', () => {
  let dataDir: string;
  let sandbox: RunsSandbox;
  let browser: { browser: Browser; close: () => Promise<void> };
  let page: Page;
  let project: string;
  let agent: string;
  let keys = 0;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'projects-auto-approve-'));
    const modules = await loadSandboxModules({ dataDir, extraProviders: [TRIAL_PROVIDER] });
    sandbox = await startRunsSandbox({ dataDir, modules });
    for (const provider of ['trial', 'edge']) await sandbox.acceptTerms(provider);
    await sandbox.addCard();
    project = await sandbox.createProject();
    agent = await sandbox.agentToken(['read', 'provision:free', 'provision:paid']);
    browser = await launchBrowser();
    page = await browser.browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await sandbox?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The agent buys a backup vault of `gigabytes` ($1.00 each), under a fresh idempotency key. */
  function buyVault(gigabytes: number) {
    keys += 1;
    return sandbox.api<ProvisionResponse>(
      'POST',
      `/v1/projects/${project}/provision`,
      {
        service: 'trial/backup:vault',
        config: { name: `vault-${keys}`, gigabytes },
        idempotency_key: `auto-approve-${keys}`,
      },
      agent,
    );
  }

  async function threshold(): Promise<number> {
    return (await sandbox.api<Budget>('GET', '/v1/budget', undefined, agent)).body.limits.auto_approve_below;
  }

  const changeBudget = (body: Record<string, unknown>) => sandbox.api('POST', '/v1/budget', body, agent);

  async function provisionEvent(resourceId: string): Promise<AuditEvent | undefined> {
    const { body } = await sandbox.api<{ events: AuditEvent[] }>('GET', '/v1/audit', undefined, agent);
    return body.events.find((event) => event.action === 'resource.provision' && event.subject === resourceId);
  }

  it('is off by default: a paid refundable purchase waits for a human', async () => {
    expect(await threshold()).toBe(0);
    const gated = await buyVault(4);
    expect([gated.status, gated.body.error?.code]).toEqual([403, 'APPROVAL_REQUIRED']);
    expect(gated.body.error?.details?.reasons).toEqual(['paid service: a human approves every purchase']);
  });

  it('is raised by an agent only once a human approved it in the web page', async () => {
    const asked = await changeBudget({ auto_approve_below: 2000 });
    expect([asked.status, asked.body.error?.code]).toEqual([403, 'APPROVAL_REQUIRED']);
    expect(asked.body.error?.details).toMatchObject({ applied: [], pending: { auto_approve_below: 2000 } });
    const approvalId = approvalIdOf(asked);
    expect(await threshold()).toBe(0);
    // Asking again changes nothing either: the same approval, still pending.
    const again = await changeBudget({ auto_approve_below: 2000 });
    expect(approvalIdOf(again)).toBe(approvalId);
    expect((await buyVault(4)).body.error?.code).toBe('APPROVAL_REQUIRED');

    await signInWithBrowser(page, sandbox, `/approvals/${approvalId}`);
    expect(await page.textContent('h1')).toContain('auto approve below $0.00 → $20.00');
    expect(await page.textContent('#warnings')).toContain('without asking anyone');
    await Promise.all([page.waitForURL(`${sandbox.url}/approvals/${approvalId}`), page.click('#approve')]);
    expect(await page.textContent('#status')).toBe('approved');
    const decided = await sandbox.api<Approval>('GET', `/v1/approvals/${approvalId}`, undefined, agent);
    expect(decided.body).toMatchObject({ kind: 'budget_raise', decided_via: 'web' });
    // It grants no more room to spend, only fewer questions: the human is told exactly that.
    expect(decided.body.warnings).toEqual([
      expect.stringContaining('at or below $20.00 will go through without asking anyone'),
    ]);
    expect(await threshold()).toBe(2000);
  });

  it('lets a refundable purchase under the threshold through with no approval, and audits why', async () => {
    const bought = await buyVault(4);
    expect(bought.status).toBe(201);
    expect(bought.body).toMatchObject({ approval_id: null, resource: { price: { amount: 400 } } });
    const event = await provisionEvent(bought.body.resource.id);
    expect(event).toMatchObject({
      result: 'ok',
      actor: expect.stringMatching(/^token:tok_/),
      price: { amount: 400, currency: 'usd' },
      details: {
        authorized_by: 'policy',
        rule: 'auto_approve_below',
        threshold: { amount: 2000, currency: 'usd' },
      },
    });
    const budget = await sandbox.api<Budget>('GET', '/v1/budget', undefined, agent);
    expect(budget.body.spend.by_provider).toContainEqual(
      expect.objectContaining({ provider: 'trial', spent: 400 }),
    );
  });

  it('still asks a human above the threshold', async () => {
    const gated = await buyVault(21);
    expect(gated.body.error?.code).toBe('APPROVAL_REQUIRED');
    expect(gated.body.error?.details?.reasons).toEqual([
      'paid service: $21.00 is over the auto-approve limit of $20.00',
    ]);
  });

  it('never covers a non-refundable purchase, even under the threshold: the exact name is typed', async () => {
    const gated = await sandbox.api(
      'POST',
      `/v1/projects/${project}/provision`,
      { service: 'edge/registrar:domain', name: 'autoshop.com', idempotency_key: 'auto-approve-domain' },
      agent,
    );
    expect(gated.body.error?.code).toBe('APPROVAL_REQUIRED');
    const approval = await sandbox.api<Approval>('GET', `/v1/approvals/${approvalIdOf(gated)}`);
    expect(approval.body).toMatchObject({
      refundable: false,
      confirmation: 'autoshop.com',
      price: { amount: 1046, currency: 'usd' },
    });
  });

  it('still refuses an auto-approved purchase that a spend cap does not leave room for', async () => {
    const lowered = await changeBudget({ provider_caps: { trial: 500 } });
    expect(lowered.body).toMatchObject({ applied: ['provider_caps'] });
    const refused = await buyVault(2);
    expect([refused.status, refused.body.error?.code]).toEqual([402, 'CAP_EXCEEDED']);
    expect(refused.body.error?.details).toMatchObject({ limit: 'provider_monthly_cap', cap: 500, used: 400 });
  });

  it('is lowered by an agent at once, and the lower threshold applies to the next purchase', async () => {
    const lowered = await changeBudget({ auto_approve_below: 100 });
    expect([lowered.status, lowered.body.applied]).toEqual([200, ['auto_approve_below']]);
    expect(await threshold()).toBe(100);
    expect((await buyVault(3)).body.error?.code).toBe('APPROVAL_REQUIRED');
    const bought = await buyVault(1);
    expect(bought.body).toMatchObject({ approval_id: null, resource: { price: { amount: 100 } } });
    expect((await provisionEvent(bought.body.resource.id))?.details).toMatchObject({
      authorized_by: 'policy',
      threshold: { amount: 100 },
    });
  });
});
