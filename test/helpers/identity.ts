import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestSandbox } from './sandbox.js';

/** Signs the sandbox's test user in through the real /login page, then lands on `next`. */
export async function signInWithBrowser(page: Page, sandbox: TestSandbox, next = '/'): Promise<void> {
  await page.goto(`${sandbox.url}/login?next=${encodeURIComponent(next)}`);
  await page.fill('#email', sandbox.user.email);
  await page.fill('#password', sandbox.user.password);
  await Promise.all([
    page.waitForURL((url) => !url.pathname.startsWith('/login')),
    page.click('button[type=submit]'),
  ]);
}

type StorageState = Awaited<ReturnType<BrowserContext['storageState']>>;
const signedInStates = new WeakMap<TestSandbox, Promise<StorageState>>();

async function signInOnce(browser: Browser, sandbox: TestSandbox): Promise<StorageState> {
  const context = await browser.newContext();
  await signInWithBrowser(await context.newPage(), sandbox);
  const state = await context.storageState();
  await context.close();
  return state;
}

/**
 * A fresh browser context already signed in as the sandbox's test user. The sign-in goes through the
 * page once per sandbox; later contexts reuse its cookies, so page tests do not pay for it each time.
 */
export async function signedInContext(browser: Browser, sandbox: TestSandbox): Promise<BrowserContext> {
  let state = signedInStates.get(sandbox);
  if (!state) {
    state = signInOnce(browser, sandbox);
    signedInStates.set(sandbox, state);
  }
  return browser.newContext({ storageState: await state });
}
