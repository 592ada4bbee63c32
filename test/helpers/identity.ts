import type { Page } from 'playwright-core';
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
