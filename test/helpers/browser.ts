// The same headless Chromium the demo drives: one place for its path and the flags this closed network needs.
export { CHROMIUM_PATH, launchBrowser } from '../../src/demo/browser.js';
