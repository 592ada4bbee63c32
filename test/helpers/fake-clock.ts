import type { Clock } from '../../src/client/clock.js';

/** A clock whose sleeps return at once and move time forward, recording what was asked. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];

  constructor(
    private time = Date.parse('2026-12-04T12:00:00Z'),
    private readonly jitter = 0.5,
  ) {}

  now(): number {
    return this.time;
  }

  advance(ms: number): void {
    this.time += ms;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
  }

  random(): number {
    return this.jitter;
  }
}
