import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxModule } from '../../src/sandbox/context.js';
import { EDGE_SEED_ACCOUNT } from '../../src/sandbox/providers/edge/index.js';
import { launchBrowser } from '../helpers/browser.js';
import {
  accountRequestFor,
  linkNewAccount,
  type ProviderSandbox,
  pkcePair,
  providerClient,
  startProviderSandbox,
} from './harness.js';

/** Stands in for the orchestrator's account-linking callback: a page that shows what it received. */
const callback: SandboxModule = {
  name: 'test:provider-callback',
  migrations: [],
  prefix: '',
  async register(app) {
    app.get('/provider-callback', async (_request, reply) => reply.type('text/html').send('<h1>linked</h1>'));
  },
};

describe('provider consent page and claim link (headless Chromium)', () => {
  let sandbox: ProviderSandbox;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    sandbox = await startProviderSandbox([callback]);
    ({ browser, close: closeBrowser } = await launchBrowser());
  });
  afterAll(async () => {
    await closeBrowser?.();
    await sandbox?.close();
  });

  async function requireAuth(email: string) {
    const { verifier, challenge } = pkcePair();
    const request = accountRequestFor(sandbox, email, challenge);
    const answer = await providerClient(sandbox, 'edge').requestAccount(request);
    if (answer.type !== 'requires_auth') throw new Error(`expected requires_auth, got ${answer.type}`);
    return { url: answer.requires_auth.redirect_url, verifier, state: request.state };
  }

  it('a known email signs in and consents, and the orchestrator callback gets code + state', async () => {
    const { url, verifier, state } = await requireAuth(EDGE_SEED_ACCOUNT.email);
    const page = await browser.newPage();
    await page.goto(url);
    expect(await page.inputValue('#email')).toBe(EDGE_SEED_ACCOUNT.email);
    await page.fill('#password', 'not-the-password');
    await page.click('button[value="allow"]');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('Wrong password');

    await page.fill('#password', EDGE_SEED_ACCOUNT.password);
    await Promise.all([page.waitForURL(/\/provider-callback\?/), page.click('button[value="allow"]')]);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('state')).toBe(state);
    const code = landed.searchParams.get('code');
    expect(code).toBeTruthy();

    const client = providerClient(sandbox, 'edge');
    const token = await client.exchangeCode({
      grant_type: 'authorization_code',
      code: code!,
      code_verifier: verifier,
    });
    const site = await client.createResource(token.access_token, {
      service_id: 'hosting:site',
      configuration: {},
      idempotency_key: 'idk_consented_site',
    });
    expect(site.status).toBe('active');

    // The consent request is spent: the page cannot be used again.
    expect((await page.goto(url))?.status()).toBe(404);
    await page.close();
  });

  it('denying sends the human back with error=access_denied', async () => {
    const { url, state } = await requireAuth(EDGE_SEED_ACCOUNT.email);
    const page = await browser.newPage();
    await page.goto(url);
    await Promise.all([page.waitForURL(/\/provider-callback\?/), page.click('button[value="deny"]')]);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('error')).toBe('access_denied');
    expect(landed.searchParams.get('state')).toBe(state);
    expect(landed.searchParams.has('code')).toBe(false);
    await page.close();
  });

  it('an auto-created account is claimed through a deep link, then signs in like any account', async () => {
    const client = providerClient(sandbox, 'edge');
    const email = `claim-${Date.now()}@example.org`;
    const { verifier, challenge } = pkcePair();
    const created = await client.requestAccount(accountRequestFor(sandbox, email, challenge));
    expect(created).toMatchObject({ type: 'oauth', account: { created: true } });
    if (created.type !== 'oauth') return;
    const { access_token } = await client.exchangeCode({
      grant_type: 'authorization_code',
      code: created.oauth.code,
      code_verifier: verifier,
    });
    const link = await client.createDeepLink(access_token, { purpose: 'claim_account' });

    const page = await browser.newPage();
    await page.goto(link.url);
    await page.fill('#password', 'short');
    await page.fill('#confirm', 'short');
    await page.click('button[type="submit"]');
    await page.getByRole('alert').waitFor();
    const password = 'my own password 42';
    await page.fill('#password', password);
    await page.fill('#confirm', password);
    await page.click('button[type="submit"]');
    await page.getByText('is yours').waitFor();
    await page.close();

    await expect(client.createDeepLink(access_token, { purpose: 'claim_account' })).rejects.toMatchObject({
      details: { reason: 'already_claimed' },
    });
    // Claimed: the email is now a known account, linked only by its owner's consent.
    const { url } = await requireAuth(email);
    const consent = await browser.newPage();
    await consent.goto(url);
    await consent.fill('#password', password);
    await Promise.all([
      consent.waitForURL(/\/provider-callback\?.*code=/),
      consent.click('button[value="allow"]'),
    ]);
    await consent.close();
  });

  it('still links unknown emails without a human (oauth)', async () => {
    expect(await linkNewAccount(sandbox, providerClient(sandbox, 'edge'))).toMatch(/^edge_at_/);
  });
});
