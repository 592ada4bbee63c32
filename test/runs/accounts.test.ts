import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/protocol/scopes.js';
import { startGrant } from '../../src/sandbox/orchestrator/identity/grants.js';
import { identityStore } from '../../src/sandbox/orchestrator/identity/store.js';
import { providerTermsParty } from '../../src/sandbox/orchestrator/identity/terms.js';
import { ensureSandboxUser } from '../../src/sandbox/orchestrator/identity/users.js';
import { LINK_VERIFIERS } from '../../src/sandbox/orchestrator/runs/accounts.js';
import { DATA_SEED_ACCOUNT } from '../../src/sandbox/providers/data/index.js';
import { launchBrowser } from '../helpers/browser.js';
import { acceptOrchestratorTerms, databaseBytes } from '../helpers/sandbox.js';
import { type RunsSandbox, startRunsSandbox } from './harness.js';

/**
 * A user whose email already has an account at the provider: the provider answers `requires_auth`, and
 * linking is a human gate on the provider's consent page, which comes back to the orchestrator's callback.
 */
describe('account linking through the provider consent page', () => {
  let sandbox: RunsSandbox;
  let browser: { browser: Browser; close: () => Promise<void> };
  let grace: string;
  let project: string;

  beforeAll(async () => {
    sandbox = await startRunsSandbox();
    browser = await launchBrowser();
    const { user } = await ensureSandboxUser(sandbox.storage, {
      email: DATA_SEED_ACCOUNT.email,
      password: 'orchestrator-pw-123',
    });
    const store = identityStore(sandbox.storage);
    await acceptOrchestratorTerms(sandbox.storage, user.id);
    await store.acceptTerms(user.id, providerTermsParty('data'), '1', Date.now());
    grace = (await startGrant(store, { userId: user.id, clientId: 'test', scopes: SCOPES }, Date.now()))
      .tokens.access_token;
    const created = await sandbox.api<{ id: string }>('POST', '/v1/projects', { name: 'graces' }, grace);
    project = created.body.id;
  });
  afterAll(async () => {
    await browser?.close();
    await sandbox?.close();
  });

  const provision = (key: string) =>
    sandbox.api(
      'POST',
      `/v1/projects/${project}/provision`,
      { service: 'data/kv:starter', idempotency_key: key },
      grace,
    );

  async function consent(url: string, decision: 'allow' | 'deny', password = DATA_SEED_ACCOUNT.password) {
    const page = await browser.browser.newPage();
    await page.goto(url);
    await page.fill('#password', password);
    await Promise.all([
      page.waitForURL((target) => target.pathname === '/providers/callback/data'),
      page.click(`button[value=${decision}]`),
    ]);
    const result = await page.textContent('#result');
    await page.close();
    return result;
  }

  it('answers HUMAN_REQUIRED with the consent page; a denial starts over; consent links and the rerun provisions', async () => {
    const gated = await provision('idem-link-0001');
    expect(gated.status).toBe(403);
    expect(gated.body.error).toMatchObject({
      code: 'HUMAN_REQUIRED',
      details: { reason: 'provider_consent', provider: 'data' },
    });
    const url = String(gated.body.error?.details?.url);
    expect(url.startsWith(`${sandbox.url}/providers/data/`)).toBe(true);
    // The PKCE verifier kept until the consent comes back is sealed at rest (docs/identity.md).
    const link = sandbox.db.prepare('SELECT code_verifier FROM runs_account_links').get() as {
      code_verifier: string;
    };
    const verifier = sandbox.context.secrets.open(link.code_verifier, LINK_VERIFIERS);
    expect(verifier).toMatch(/^[\w-]{43}$/);
    expect(databaseBytes(sandbox.dataDir)).not.toContain(verifier);

    expect(await consent(url, 'deny')).toContain('did not link');
    const again = await provision('idem-link-0001');
    const secondUrl = String(again.body.error?.details?.url);
    expect(again.body.error?.code).toBe('HUMAN_REQUIRED');
    expect(secondUrl).not.toBe(url);

    expect(await consent(secondUrl, 'allow')).toContain('is linked');
    const done = await provision('idem-link-0001');
    expect(done.status).toBe(201);
    expect(done.body).toMatchObject({ resource: { provider: 'data', service: 'kv:starter' } });
  });
});
