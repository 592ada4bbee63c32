import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProjectsError } from '../../src/protocol/errors.js';
import { auditModule } from '../../src/sandbox/orchestrator/audit/module.js';
import {
  defaultPaymentMethod,
  requirePaymentMethod,
} from '../../src/sandbox/orchestrator/identity/billing.js';
import { identityModule } from '../../src/sandbox/orchestrator/identity/module.js';
import { requireTermsAccepted } from '../../src/sandbox/orchestrator/identity/terms.js';
import { launchBrowser } from '../helpers/browser.js';
import { signedInContext } from '../helpers/identity.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sandbox: TestSandbox;
let browser: Browser;
let closeBrowser: () => Promise<void>;
const logs: string[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox({
    log: (line) => logs.push(line),
    orchestratorTermsAccepted: false,
    // A registry with one provider stands in for the provider registry module.
    modules: [
      auditModule(),
      identityModule({
        providerTerms: async (_ctx, id) => (id === 'edge' ? { name: 'Edge', termsVersion: '7' } : undefined),
      }),
    ],
  });
  ({ browser, close: closeBrowser } = await launchBrowser());
});

afterAll(async () => {
  await closeBrowser?.();
  await sandbox?.close();
});

async function signedInPage(path: string): Promise<Page> {
  const page = await (await signedInContext(browser, sandbox)).newPage();
  await page.goto(`${sandbox.url}${path}`);
  return page;
}

async function caught(fn: () => Promise<unknown>): Promise<ProjectsError | undefined> {
  try {
    await fn();
    return undefined;
  } catch (error) {
    return error as ProjectsError;
  }
}

describe('every page loads for a signed-in human', () => {
  it.each(['/', '/device', '/terms', '/terms/edge', '/billing'])('%s', async (path) => {
    const page = await signedInPage(path);
    expect(new URL(page.url()).pathname).toBe(path);
    await expect(page.textContent('header')).resolves.toContain(sandbox.user.email);
    await expect(page.locator('h1').count()).resolves.toBe(1);
    await page.context().close();
  });

  it('answers 404 for the terms of an unknown provider', async () => {
    const page = await signedInPage('/');
    const response = await page.goto(`${sandbox.url}/terms/nope`);
    expect(response?.status()).toBe(404);
    await page.context().close();
  });
});

describe('terms of service', () => {
  it('records acceptance per user and version, for the orchestrator and each provider', async () => {
    const edge = { providerId: 'edge', version: '7' };
    const refusal = (terms: Parameters<typeof requireTermsAccepted>[2]) =>
      caught(() => requireTermsAccepted(sandbox.context, sandbox.user.id, terms));
    expect(await refusal('orchestrator')).toMatchObject({
      code: 'TOS_REQUIRED',
      details: { url: `${sandbox.url}/terms` },
    });
    expect((await refusal(edge))?.details?.url).toBe(`${sandbox.url}/terms/edge`);

    const page = await signedInPage('/terms');
    await Promise.all([page.waitForURL(`${sandbox.url}/terms`), page.click('#accept')]);
    await expect(page.textContent('[role=status]')).resolves.toContain('You accepted version');
    expect(await refusal('orchestrator')).toBeUndefined();
    // Accepting the orchestrator's terms is not accepting a provider's.
    expect((await refusal(edge))?.code).toBe('TOS_REQUIRED');

    await page.goto(`${sandbox.url}/terms/edge`);
    await expect(page.textContent('#terms-version')).resolves.toBe('7');
    await Promise.all([page.waitForURL(`${sandbox.url}/terms/edge`), page.click('#accept')]);
    expect(await refusal(edge)).toBeUndefined();
    // A new version needs a new acceptance.
    expect((await refusal({ providerId: 'edge', version: '8' }))?.code).toBe('TOS_REQUIRED');
    await page.context().close();
  });
});

describe('billing', () => {
  async function addCard(page: Page, card: { number: string; expiry: string; cvc: string }) {
    await page.fill('#number', card.number);
    await page.fill('#expiry', card.expiry);
    await page.fill('#cvc', card.cvc);
    await Promise.all([page.waitForURL(`${sandbox.url}/billing`), page.click('#add-card')]);
  }

  it('refuses a number that fails the Luhn check, without echoing it', async () => {
    const page = await signedInPage('/billing');
    await addCard(page, { number: '4242 4242 4242 4241', expiry: '12/34', cvc: '123' });
    await expect(page.textContent('[role=alert]')).resolves.toContain('not valid');
    expect(await page.content()).not.toContain('4242424242424241');
    expect(await page.inputValue('#number')).toBe('');
    await page.context().close();
  });

  it('keeps only brand, last 4 and a pm_ id: the number is in no file, log or answer', async () => {
    const number = '5555555555554444';
    const page = await signedInPage('/billing');
    await addCard(page, { number: '5555 5555 5555 4444', expiry: '11/39', cvc: '321' });
    await expect(page.textContent('#cards')).resolves.toContain('mastercard •••• 4444');
    const pageHtml = await page.content();

    const method = await defaultPaymentMethod(sandbox.storage, sandbox.user.id);
    expect(method).toMatchObject({
      id: expect.stringMatching(/^pm_/),
      brand: 'mastercard',
      last4: '4444',
      expMonth: 11,
    });

    const api = await (
      await fetch(`${sandbox.url}/v1/payment_methods`, {
        headers: { authorization: `Bearer ${await sandbox.accessToken(['read'])}` },
      })
    ).text();
    expect(JSON.parse(api).payment_methods[0]).toMatchObject({
      id: method?.id,
      last4: '4444',
      default: true,
    });

    sandbox.db.pragma('wal_checkpoint(PASSIVE)');
    const files = ['sandbox.db', 'sandbox.db-wal'].map((file) => readFileSync(`${sandbox.dataDir}/${file}`));
    for (const haystack of [
      ...files.map((bytes) => bytes.toString('latin1')),
      pageHtml,
      api,
      logs.join('\n'),
    ]) {
      expect(haystack).not.toContain(number);
      expect(haystack).not.toContain('5555 5555 5555 4444');
    }
    await page.context().close();
  });

  it('pays with the newest card, and refuses to pay with the declining test card', async () => {
    const page = await signedInPage('/billing');
    await addCard(page, { number: '4000 0000 0000 0002', expiry: '10/38', cvc: '123' });
    expect(await caught(() => requirePaymentMethod(sandbox.context, sandbox.user.id))).toMatchObject({
      code: 'PAYMENT_DECLINED',
    });
    await addCard(page, { number: '4242 4242 4242 4242', expiry: '10/38', cvc: '123' });
    expect(await requirePaymentMethod(sandbox.context, sandbox.user.id)).toMatchObject({
      brand: 'visa',
      last4: '4242',
    });
    await page.context().close();
  });

  it('rejects cards without a valid expiry or security code', async () => {
    const page = await signedInPage('/billing');
    await addCard(page, { number: '4242424242424242', expiry: '01/20', cvc: '123' });
    await expect(page.textContent('[role=alert]')).resolves.toContain('expired');
    await addCard(page, { number: '378282246310005', expiry: '01/40', cvc: '123' });
    await expect(page.textContent('[role=alert]')).resolves.toContain('4-digit');
    await page.context().close();
  });
});
