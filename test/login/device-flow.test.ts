import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrchestratorAuthClient } from '../../src/client/auth.js';
import { waitForDeviceApproval } from '../../src/client/device-flow.js';
import { HttpClient } from '../../src/client/http.js';
import { Redactor } from '../../src/core/redact.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sandbox: TestSandbox;
/** The orchestrator's clock, moved by the client's (fake) sleeps: polling pace is tested without waiting. */
let clockOffset = 0;
const now = () => Date.now() + clockOffset;

beforeAll(async () => {
  sandbox = await startTestSandbox({ now });
});
afterAll(async () => {
  await sandbox?.close();
});

function client(): OrchestratorAuthClient {
  const redactor = new Redactor();
  const http = (token?: string) => new HttpClient({ baseUrl: sandbox.url, token, redactor });
  return new OrchestratorAuthClient(http(), (token) => http(token));
}

describe('waitForDeviceApproval against the orchestrator', () => {
  it('polls at the interval, slows down when told to, and stops when the code expires', async () => {
    const auth = client();
    const device = await auth.startDeviceAuthorization();
    const sleeps: number[] = [];
    const slowDowns: number[] = [];
    const failure = await waitForDeviceApproval(
      auth,
      {
        deviceCode: device.device_code,
        interval: device.interval,
        expiresAt: now() + device.expires_in * 1000,
      },
      {
        now,
        // The second sleep is cut short (the clock does not move), so that poll comes too early.
        sleep: async (ms) => {
          sleeps.push(ms);
          if (sleeps.length !== 2) clockOffset += ms;
        },
        onSlowDown: (interval) => slowDowns.push(interval),
      },
    ).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'AUTH_REQUIRED', details: { reason: 'expired' } });
    expect(slowDowns).toEqual([device.interval + 5]);
    const [normal, slower] = [device.interval * 1000, (device.interval + 5) * 1000];
    expect(sleeps.slice(0, 4)).toEqual([normal, normal, slower, slower]);
    expect(new Set(sleeps.slice(2))).toEqual(new Set([slower]));
  });
});
