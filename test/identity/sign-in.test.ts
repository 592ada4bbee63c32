import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { signInWithBrowser } from '../helpers/identity.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sandbox: TestSandbox;
let browser: Browser;
let closeBrowser: () => Promise<void>;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  ({ browser, close: closeBrowser } = await launchBrowser());
});

afterAll(async () => {
  await closeBrowser?.();
  await sandbox?.close();
});

describe('web sign-in', () => {
  it('signs in through the page with an HttpOnly, SameSite=Lax session that authenticates /v1/me', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInWithBrowser(page, sandbox);
    await expect(page.textContent('main')).resolves.toContain(`Signed in as ${sandbox.user.email}`);
    const session = (await context.cookies()).find((cookie) => cookie.name === 'projects_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    const me = await page.request.get(`${sandbox.url}/v1/me`);
    expect(me.status()).toBe(200);
    expect(await me.json()).toMatchObject({
      user: { id: sandbox.user.id, email: sandbox.user.email },
      kind: 'human',
      credential: { type: 'session' },
    });
    await context.close();
  });

  it('rejects a wrong password with the form shown again', async () => {
    const page = await browser.newPage();
    await page.goto(`${sandbox.url}/login`);
    await page.fill('#email', sandbox.user.email);
    await page.fill('#password', 'not-the-password');
    const [response] = await Promise.all([
      page.waitForResponse(`${sandbox.url}/login`),
      page.click('button'),
    ]);
    expect(response.status()).toBe(401);
    await expect(page.textContent('[role=alert]')).resolves.toContain('incorrect');
    await page.close();
  });

  it('redirects to sign-in and back to the page asked for', async () => {
    const page = await browser.newPage();
    await page.goto(`${sandbox.url}/device?user_code=ABCD-EFGH`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('#email', sandbox.user.email);
    await page.fill('#password', sandbox.user.password);
    await Promise.all([page.waitForURL(/\/device/), page.click('button[type=submit]')]);
    expect(new URL(page.url()).searchParams.get('user_code')).toBe('ABCD-EFGH');
    await page.close();
  });

  it('signs out, after which the session no longer authenticates', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInWithBrowser(page, sandbox);
    await Promise.all([page.waitForURL(/\/login/), page.click('#sign-out')]);
    expect((await page.request.get(`${sandbox.url}/v1/me`)).status()).toBe(401);
    await context.close();
  });
});

describe('CSRF', () => {
  async function browserCookies(): Promise<string> {
    const response = await fetch(`${sandbox.url}/login`);
    return response.headers
      .getSetCookie()
      .map((cookie) => cookie.split(';')[0])
      .join('; ');
  }

  it('refuses a sign-in form posted without the token, even with valid credentials', async () => {
    const response = await fetch(`${sandbox.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: await browserCookies() },
      body: new URLSearchParams({ email: sandbox.user.email, password: sandbox.user.password }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('set-cookie') ?? '').not.toContain('projects_session');
  });

  it('refuses a forged token', async () => {
    const response = await fetch(`${sandbox.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: await browserCookies() },
      body: new URLSearchParams({
        email: sandbox.user.email,
        password: sandbox.user.password,
        csrf: 'forged',
      }),
    });
    expect(response.status).toBe(403);
  });
});

describe('bearer tokens', () => {
  it('authenticates an access token and rejects a made-up one', async () => {
    const good = await fetch(`${sandbox.url}/v1/me`, {
      headers: { authorization: `Bearer ${await sandbox.accessToken(['read'])}` },
    });
    expect(await good.json()).toMatchObject({
      kind: 'human',
      scopes: ['read'],
      credential: { type: 'oauth' },
    });
    const bad = await fetch(`${sandbox.url}/v1/me`, { headers: { authorization: 'Bearer pat_madeUp' } });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: { code: 'AUTH_REQUIRED' } });
  });
});
