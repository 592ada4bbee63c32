/**
 * Stable error codes shared by the CLI, the orchestrator and the providers (DESIGN.md §5).
 * Servers answer errors as `{"error":{"code","message","details"}}` with these codes; the CLI maps
 * each code to its documented exit code. Add codes freely; never rename one.
 */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  authRequired: 3,
  actionRequired: 4,
  spendRefused: 5,
  frozen: 6,
  conflict: 7,
  unavailable: 8,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const ERROR_EXIT_CODES = {
  AUTH_REQUIRED: EXIT.authRequired,
  SCOPE_DENIED: EXIT.authRequired,
  TOS_REQUIRED: EXIT.actionRequired,
  PAYMENT_METHOD_REQUIRED: EXIT.actionRequired,
  APPROVAL_REQUIRED: EXIT.actionRequired,
  HUMAN_REQUIRED: EXIT.actionRequired,
  LOOKALIKE_DOMAIN: EXIT.actionRequired,
  APPROVAL_DENIED: EXIT.error,
  BUDGET_EXCEEDED: EXIT.spendRefused,
  CAP_EXCEEDED: EXIT.spendRefused,
  VELOCITY_LIMITED: EXIT.spendRefused,
  PAYMENT_DECLINED: EXIT.spendRefused,
  FROZEN: EXIT.frozen,
  IDEMPOTENCY_CONFLICT: EXIT.conflict,
  QUOTE_EXPIRED: EXIT.conflict,
  PLAN_CHANGED: EXIT.conflict,
  DOMAIN_UNAVAILABLE: EXIT.error,
  NOT_INITIALIZED: EXIT.error,
  NOT_FOUND: EXIT.error,
  NOT_IMPLEMENTED: EXIT.error,
  DEPLOYMENT_FAILED: EXIT.error,
  CONTENT_MISMATCH: EXIT.error,
  INVALID_ARGUMENT: EXIT.usage,
  PROVIDER_UNAVAILABLE: EXIT.unavailable,
  ORCHESTRATOR_UNAVAILABLE: EXIT.unavailable,
  INVALID_RESPONSE: EXIT.error,
  INVALID_SIGNATURE: EXIT.error,
  AUDIT_CHAIN_BROKEN: EXIT.error,
  INTERRUPTED: EXIT.interrupted,
  INTERNAL: EXIT.error,
} as const satisfies Record<string, ExitCode>;

export type ErrorCode = keyof typeof ERROR_EXIT_CODES;

export const ERROR_CODES = Object.keys(ERROR_EXIT_CODES) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_EXIT_CODES, value);
}

export function exitCodeFor(code: ErrorCode): ExitCode {
  return ERROR_EXIT_CODES[code];
}

/** The `next` hint every envelope may carry: a command to run and why. */
export interface NextStep {
  command: string;
  why: string;
}

/** The error body every server of the protocol answers with. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown>; next?: NextStep[] };
}

/**
 * A failure with a stable code. Thrown anywhere (CLI, client, server); the CLI's output layer turns it
 * into the envelope and exit code, a server into an HTTP error body. `message` must never hold a
 * secret — the output layer redacts anyway, but do not rely on it.
 */
export class ProjectsError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly next: NextStep[];
  readonly httpStatus: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      details?: Record<string, unknown>;
      next?: NextStep[];
      httpStatus?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProjectsError';
    this.code = code;
    this.details = options.details;
    this.next = options.next ?? [];
    this.httpStatus = options.httpStatus;
  }

  /**
   * The same failure with more context for the caller: `details` merged in, `next` steps appended (one
   * per command). Code, message and HTTP status are kept; the original is the cause.
   */
  with(more: { details?: Record<string, unknown>; next?: NextStep[] }): ProjectsError {
    const added = (more.next ?? []).filter((step) => !this.next.some((n) => n.command === step.command));
    return new ProjectsError(this.code, this.message, {
      ...(this.details || more.details ? { details: { ...this.details, ...more.details } } : {}),
      next: [...this.next, ...added],
      ...(this.httpStatus === undefined ? {} : { httpStatus: this.httpStatus }),
      cause: this,
    });
  }

  get exitCode(): ExitCode {
    return exitCodeFor(this.code);
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details ? { details: this.details } : {}),
        ...(this.next.length ? { next: this.next } : {}),
      },
    };
  }
}
