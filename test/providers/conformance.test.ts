import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConformance } from '../../src/conformance/suite.js';
import { readProviderSecrets } from '../../src/sandbox/provider-secrets.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const run = promisify(execFile);

/** The conformance suite against the sandbox as composed for users (secrets from its database). */
describe('provider conformance suite', () => {
  let sandbox: TestSandbox;
  const secretOf = (id: string) =>
    readProviderSecrets(sandbox.db, sandbox.context.secrets).find((provider) => provider.id === id)!
      .signingSecret;
  const baseOf = (id: string) => `${sandbox.url}/providers/${id}/`;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => sandbox?.close());

  it.each(['edge', 'data'])('passes against the %s provider over HTTP', async (id) => {
    const report = await runConformance({ baseUrl: baseOf(id), secret: secretOf(id) });
    const failures = report.results.filter((result) => !result.ok);
    expect(failures).toEqual([]);
    expect(report.results.length).toBeGreaterThanOrEqual(12);
  });

  it('reports every signed check as failed with the wrong secret', async () => {
    const report = await runConformance({ baseUrl: baseOf('data'), secret: 'whsec_not-the-shared-secret' });
    expect(report.passed).toBe(false);
    expect(report.results.find((result) => result.name.startsWith('health'))).toMatchObject({
      ok: false,
      detail: expect.stringContaining('INVALID_SIGNATURE'),
    });
  });

  it('runs as a command from the build: exit 0 when conformant, 1 when not', async () => {
    const script = 'dist/conformance/main.js';
    const ok = await run(process.execPath, [script, baseOf('edge'), '--secret', secretOf('edge')]);
    expect(ok.stdout).toMatch(/\d+ passed, 0 failed/);
    const failing = await run(process.execPath, [script, baseOf('edge'), '--json'], {
      env: { ...process.env, PROJECTS_CONFORMANCE_SECRET: 'wrong-secret' },
    }).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => error,
    );
    expect(failing.code).toBe(1);
    expect(JSON.parse(failing.stdout)).toMatchObject({ passed: false });
  });
});
