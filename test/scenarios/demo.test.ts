import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DEMO = fileURLToPath(new URL('../../dist/demo/main.js', import.meta.url));

/** `npm run demo` (built by `npm test`): the README's main job must keep working end to end. */
describe('npm run demo', () => {
  it('logs in, inits, and buys a domain with the demo acting for the human at each gate', async () => {
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [DEMO], {
        env: { PATH: process.env.PATH },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk;
      });
      child.on('error', reject);
      child.on('close', (exit) => resolve({ code: exit, stdout: out }));
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/\[demo acting for the human\] signs in and confirms the login code/);
    expect(stdout).toMatch(/exit 4: APPROVAL_REQUIRED/);
    expect(stdout).toMatch(
      /\[demo acting for the human\] types demo-shop-[0-9a-f]+\.dev exactly and approves/,
    );
    expect(stdout).toMatch(/Bought demo-shop-[0-9a-f]+\.dev \(res_\w+\)/);
    expect(stdout).toMatch(/edge\/registrar:domain\s+demo-shop-[0-9a-f]+\.dev/);
    // It ends live: the preview, production on *.localhost, and the bought domain over verified HTTPS.
    expect(stdout).toMatch(/Live at http:\/\/\w+--site-[0-9a-f]+\.localhost:\d+\/ → HTTP 200/);
    expect(stdout).toMatch(/types dpl_\w+ exactly and approves/);
    expect(stdout).toMatch(
      /Live at https:\/\/demo-shop-[0-9a-f]+\.dev:\d+\/ → HTTP 200 \(certificate verified against the provider CA\)/,
    );
    expect(stdout).toContain('Hello from a worker');
  }, 120_000);
});
