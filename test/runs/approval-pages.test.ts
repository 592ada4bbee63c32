import type { Browser, Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Approval } from '../../src/protocol/orchestrator.js';
import { launchBrowser } from '../helpers/browser.js';
import { signInWithBrowser } from '../helpers/identity.js';
import { approvalIdOf, type RunsSandbox, startRunsSandbox } from './harness.js';

describe('approval pages in headless Chromium', () => {
  let sandbox: RunsSandbox;
  let browser: { browser: Browser; close: () => Promise<void> };
  let page: Page;
  let project: string;

  async function gate(key: string): Promise<string> {
    const answer = await sandbox.api('POST', `/v1/projects/${project}/provision`, {
      service: 'data/kv:pro',
      idempotency_key: key,
      config: { name: key },
    });
    expect(answer.body.error?.code).toBe('APPROVAL_REQUIRED');
    return approvalIdOf(answer);
  }

  beforeAll(async () => {
    sandbox = await startRunsSandbox();
    project = await sandbox.createProject();
    browser = await launchBrowser();
    page = await browser.browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await sandbox?.close();
  });

  it('takes the provider terms gate on the terms page, then lists the pending approval', async () => {
    const gated = await sandbox.api('POST', `/v1/projects/${project}/provision`, {
      service: 'data/kv:starter',
      idempotency_key: 'terms-first',
    });
    expect(gated.body.error?.code).toBe('TOS_REQUIRED');
    const termsUrl = String(gated.body.error?.details?.url);
    expect(termsUrl).toBe(`${sandbox.url}/terms/data`);
    await signInWithBrowser(page, sandbox, '/terms/data');
    await Promise.all([page.waitForURL(termsUrl), page.click('#accept')]);

    const id = await gate('cache-one');
    await page.goto(`${sandbox.url}/approvals`);
    const row = page.locator(`#approvals tr[data-status="pending"] a[href="/approvals/${id}"]`);
    await expect(row.textContent()).resolves.toContain('KV Pro');
  });

  it('shows what, price and refundability, and approves only with the exact name typed', async () => {
    const id = await gate('cache-two');
    await page.goto(`${sandbox.url}/approvals/${id}`);
    expect(await page.textContent('#price')).toBe('$9.00 (recurring)');
    expect(await page.textContent('#refundable')).toContain('cannot be undone');
    expect(await page.textContent('#warnings')).toContain('non-refundable');

    await page.fill('#confirmation', 'data/kv:pr0');
    await Promise.all([page.waitForLoadState('load'), page.click('#approve')]);
    expect(await page.textContent('#error')).toContain('exact name');
    expect(await page.textContent('#status')).toBe('pending');

    await page.fill('#confirmation', 'data/kv:pro');
    await Promise.all([page.waitForURL(`${sandbox.url}/approvals/${id}`), page.click('#approve')]);
    expect(await page.textContent('#status')).toBe('approved');
    const decided = await sandbox.api<Approval>('GET', `/v1/approvals/${id}`);
    expect(decided.body).toMatchObject({
      status: 'approved',
      decided_via: 'web',
      decided_by: `human:${sandbox.user.email}`,
    });
  });

  it('denies with a reason', async () => {
    const id = await gate('cache-three');
    await page.goto(`${sandbox.url}/approvals/${id}`);
    await page.fill('#reason', 'not this month');
    await Promise.all([page.waitForURL(`${sandbox.url}/approvals/${id}`), page.click('#deny')]);
    expect(await page.textContent('#decision')).toContain('not this month');
    const decided = await sandbox.api<Approval>('GET', `/v1/approvals/${id}`);
    expect(decided.body).toMatchObject({ status: 'denied', reason: 'not this month' });
  });

  it('refuses a form post that carries the session cookie but no CSRF token', async () => {
    const id = await gate('cache-four');
    const cookies = await page.context().cookies();
    const response = await request(`${sandbox.url}/approvals/${id}/approve`, {
      method: 'POST',
      headers: {
        cookie: cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join('; '),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'confirmation=data%2Fkv%3Apro',
    });
    await response.body.dump();
    expect(response.statusCode).toBe(403);
    const still = await sandbox.api<Approval>('GET', `/v1/approvals/${id}`);
    expect(still.body.status).toBe('pending');
  });
});
