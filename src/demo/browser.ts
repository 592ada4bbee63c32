import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (installed by .ci/run). Playwright never downloads a browser here. */
export const CHROMIUM_PATH = process.env.PROJECTS_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Launches real headless Chromium with the flags this closed network needs (no background networking,
 * no component updates). Playwright gives every launch a fresh throwaway profile (`--user-data-dir` in
 * a temp dir it deletes on close), so none is passed here: it refuses one among `args`.
 */
export async function launchBrowser(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return { browser, close: () => browser.close() };
}
