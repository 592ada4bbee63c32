import { setTimeout as delay } from 'node:timers/promises';

/**
 * Time as the resilience layer sees it. Injected so tests drive backoff and cool-downs with a fake
 * clock instead of sleeping; production uses the real one.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => delay(ms),
  random: () => Math.random(),
};
