import type { Factory } from './factory.js';

/**
 * Opens a URL in the human's browser when there is a desktop to show it on; otherwise (or when that
 * fails) the human is told to open it, which the caller has printed anyway.
 */
export async function openInBrowser(factory: Factory, url: string): Promise<boolean> {
  const desktop = process.platform !== 'linux' || Boolean(factory.env.DISPLAY || factory.env.WAYLAND_DISPLAY);
  if (!desktop || !factory.interactive) return false;
  try {
    const { default: open } = await import('open');
    await open(url);
    return true;
  } catch (error) {
    factory.output.warn(`could not open a browser (${(error as Error).message}); open the URL yourself`);
    return false;
  }
}
