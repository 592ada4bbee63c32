import { type ErrorCode, ProjectsError } from '../protocol/errors.js';
import { type Clock, systemClock } from './clock.js';

/**
 * A circuit breaker per provider or host: after `failureThreshold` consecutive failures it opens and
 * refuses calls at once with PROVIDER_UNAVAILABLE (exit 8), saying when it will try again — so an
 * agent loop stops hammering a dead provider instead of waiting out timeouts. After `coolDownMs` it
 * half-opens and lets exactly one probe through: success closes it, failure opens it again.
 * Only failures of the service itself count (unreachable, timeouts, 5xx, garbage); an answered
 * refusal such as BUDGET_EXCEEDED means the service is up and resets the count.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failureThreshold?: number;
  coolDownMs?: number;
  clock?: Pick<Clock, 'now'>;
  /** PROVIDER_UNAVAILABLE by default; ORCHESTRATOR_UNAVAILABLE for the orchestrator (both exit 8). */
  unavailableCode?: Extract<ErrorCode, 'PROVIDER_UNAVAILABLE' | 'ORCHESTRATOR_UNAVAILABLE'>;
}

export const DEFAULT_FAILURE_THRESHOLD = 5;
export const DEFAULT_COOL_DOWN_MS = 30_000;

export class CircuitBreaker {
  readonly name: string;
  private readonly threshold: number;
  private readonly coolDownMs: number;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly unavailableCode: NonNullable<BreakerOptions['unavailableCode']>;
  private consecutiveFailures = 0;
  private openUntil = 0;
  private probeInFlight = false;

  constructor(name: string, options: BreakerOptions = {}) {
    this.name = name;
    this.threshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    this.coolDownMs = options.coolDownMs ?? DEFAULT_COOL_DOWN_MS;
    this.clock = options.clock ?? systemClock;
    this.unavailableCode = options.unavailableCode ?? 'PROVIDER_UNAVAILABLE';
  }

  get state(): BreakerState {
    if (this.consecutiveFailures < this.threshold) return 'closed';
    return this.clock.now() < this.openUntil ? 'open' : 'half-open';
  }

  /** Admits a call or throws the refusal. In half-open state only one probe is admitted at a time. */
  admit(): void {
    const state = this.state;
    if (state === 'closed') return;
    if (state === 'half-open' && !this.probeInFlight) {
      this.probeInFlight = true;
      return;
    }
    throw this.refusal();
  }

  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.probeInFlight = false;
  }

  recordFailure(): void {
    const wasProbe = this.probeInFlight;
    this.probeInFlight = false;
    this.consecutiveFailures = wasProbe ? this.threshold : this.consecutiveFailures + 1;
    if (this.consecutiveFailures >= this.threshold) this.openUntil = this.clock.now() + this.coolDownMs;
  }

  private refusal(): ProjectsError {
    const retryAt = this.state === 'open' ? this.openUntil : this.clock.now() + 1000;
    const seconds = Math.max(1, Math.ceil((retryAt - this.clock.now()) / 1000));
    const when = new Date(retryAt).toISOString();
    return new ProjectsError(
      this.unavailableCode,
      `${this.name} failed ${this.consecutiveFailures} times in a row; not calling it again until ${when} (in ${seconds} s)`,
      {
        httpStatus: 503,
        details: {
          target: this.name,
          circuit: this.state,
          consecutive_failures: this.consecutiveFailures,
          retry_at: when,
          retry_after: seconds,
        },
      },
    );
  }
}

/** One breaker per provider or host, created on first use with shared options. */
export class BreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(private readonly options: BreakerOptions = {}) {}

  for(name: string): CircuitBreaker {
    let breaker = this.breakers.get(name);
    if (!breaker) {
      breaker = new CircuitBreaker(name, this.options);
      this.breakers.set(name, breaker);
    }
    return breaker;
  }
}
