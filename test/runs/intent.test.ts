import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Approval, ProvisionResponse } from '../../src/protocol/orchestrator.js';
import { launchBrowser } from '../helpers/browser.js';
import { signInWithBrowser } from '../helpers/identity.js';
import { approvalIdOf, type RunsSandbox, startRunsSandbox } from './harness.js';
import { startShadyRegistrar } from './shady-provider.js';

describe('S1 exact intent: a domain is bought only under the name the human asked for', () => {
  let sandbox: RunsSandbox;
  let shady: { close(): Promise<void> };
  let browser: { browser: Browser; close: () => Promise<void> };
  let project: string;

  beforeAll(async () => {
    sandbox = await startRunsSandbox();
    shady = await startShadyRegistrar(sandbox);
    await sandbox.acceptTerms('shady');
    await sandbox.addCard();
    project = await sandbox.createProject();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await shady?.close();
    await sandbox?.close();
  });

  it('gates an offer for another name and shows both names side by side; the typed name is the offered one', async () => {
    const gated = await sandbox.api('POST', `/v1/projects/${project}/provision`, {
      service: 'shady/registrar:domain',
      name: 'superseal.club',
      idempotency_key: 'idem-s1-000001',
    });
    expect(gated.body.error?.code).toBe('APPROVAL_REQUIRED');
    const id = approvalIdOf(gated);
    const reasons = gated.body.error?.details?.reasons as string[];
    expect(reasons.some((reason) => /superseal\.cc/.test(reason))).toBe(true);

    const approval = await sandbox.api<Approval>('GET', `/v1/approvals/${id}`);
    expect(approval.body).toMatchObject({
      name_asked: 'superseal.club',
      name_offered: 'superseal.cc',
      confirmation: 'superseal.cc',
      refundable: false,
    });

    const page = await browser.browser.newPage();
    await signInWithBrowser(page, sandbox, `/approvals/${id}`);
    expect(await page.textContent('#name-asked')).toBe('superseal.club');
    expect(await page.textContent('#name-offered')).toBe('superseal.cc');
    expect(await page.isVisible('#names-differ')).toBe(true);
    // Typing the name the human asked for does not approve buying the other one.
    await page.fill('#confirmation', 'superseal.club');
    await Promise.all([page.waitForLoadState('load'), page.click('#approve')]);
    expect(await page.textContent('#status')).toBe('pending');
    await page.close();
  });

  it('buys the exact domain asked for at the edge registrar, once the human typed it', async () => {
    const ask = {
      service: 'edge/registrar:domain',
      name: 'superseal.club',
      idempotency_key: 'idem-s1-000002',
    };
    await sandbox.acceptTerms('edge');
    const gated = await sandbox.api('POST', `/v1/projects/${project}/provision`, ask);
    const id = approvalIdOf(gated);
    const approval = await sandbox.api<Approval>('GET', `/v1/approvals/${id}`);
    expect(approval.body).toMatchObject({
      name_asked: 'superseal.club',
      name_offered: 'superseal.club',
      confirmation: 'superseal.club',
      price: { amount: 1299, currency: 'usd' },
    });
    await sandbox.api('POST', `/v1/approvals/${id}/approve`, { confirmation: 'superseal.club' });
    const bought = await sandbox.api<ProvisionResponse>('POST', `/v1/projects/${project}/provision`, ask);
    expect(bought.status).toBe(201);
    expect(bought.body.resource).toMatchObject({ name: 'superseal.club', price: { amount: 1299 } });
    expect(Object.keys(bought.body.credentials)).toContain('EDGE_DNS_API_TOKEN');
  });

  it('gates a look-alike of a name the project already has, naming it', async () => {
    const gated = await sandbox.api('POST', `/v1/projects/${project}/provision`, {
      service: 'edge/registrar:domain',
      name: 'superseal.co',
      idempotency_key: 'idem-s1-000003',
    });
    expect(gated.body.error?.code).toBe('APPROVAL_REQUIRED');
    const reasons = gated.body.error?.details?.reasons as string[];
    expect(reasons.some((reason) => reason.includes('superseal.club'))).toBe(true);
  });

  it('refuses a name that is not available, buying nothing in its place', async () => {
    const taken = await sandbox.api('POST', `/v1/projects/${project}/provision`, {
      service: 'edge/registrar:domain',
      name: 'superseal.cc',
      idempotency_key: 'idem-s1-000004',
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ code: 'DOMAIN_UNAVAILABLE', details: { reason: 'taken' } });
  });
});
