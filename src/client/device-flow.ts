import { ProjectsError } from '../protocol/errors.js';
import type { TokenResponse } from '../protocol/oauth.js';
import type { DevicePoll, OrchestratorAuthClient } from './auth.js';

/** RFC 8628 §3.5: on `slow_down` the interval grows by 5 seconds for this and all later polls. */
export const SLOW_DOWN_STEP_SECONDS = 5;

export interface DeviceWait {
  deviceCode: string;
  /** Seconds between polls, as the server asked. */
  interval: number;
  /** Epoch ms after which the code is dead. */
  expiresAt: number;
}

export interface DeviceWaitOptions {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told each time the server asks to slow down, with the new interval. */
  onSlowDown?: (interval: number) => void;
}

function loginAgain(message: string, orchestrator: string, reason: string): ProjectsError {
  return new ProjectsError('AUTH_REQUIRED', message, {
    details: { orchestrator, reason },
    next: [{ command: `projects login --orchestrator ${orchestrator}`, why: 'start a new sign-in' }],
  });
}

/** The end states of a device code as errors: denied in the browser, or expired unconfirmed. */
export function deviceCodeFailure(poll: DevicePoll, orchestrator: string): ProjectsError | undefined {
  if (poll.status === 'denied')
    return loginAgain('the sign-in was denied in the browser', orchestrator, 'denied');
  if (poll.status === 'expired') {
    return loginAgain('the sign-in code expired before it was confirmed', orchestrator, 'expired');
  }
  return undefined;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until the human confirms, honouring `interval` and `slow_down`; denied or expired codes throw. */
export async function waitForDeviceApproval(
  auth: OrchestratorAuthClient,
  wait: DeviceWait,
  options: DeviceWaitOptions = {},
): Promise<TokenResponse> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  let interval = wait.interval;
  for (;;) {
    await sleep(interval * 1000);
    if (now() >= wait.expiresAt) throw deviceCodeFailure({ status: 'expired' }, auth.orchestrator);
    const poll = await auth.pollDeviceToken(wait.deviceCode);
    if (poll.status === 'authorized') return poll.tokens;
    if (poll.status === 'slow_down') {
      interval += SLOW_DOWN_STEP_SECONDS;
      options.onSlowDown?.(interval);
    }
    const failure = deviceCodeFailure(poll, auth.orchestrator);
    if (failure) throw failure;
  }
}
