import { ProjectsError } from '../../../protocol/errors.js';

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** The calendar month (UTC) that monthly caps count in, e.g. `2026-12`. */
export function monthOf(ms: number): string {
  return isoTime(ms).slice(0, 7);
}

const NOT_RETRYABLE =
  'Do not retry: the same request will be refused until a human changes the limit (`projects budget`).';

/**
 * A spend refusal (exit 5). Its message tells an agent plainly that retrying is pointless, because a loop
 * that retries refusals is exactly what the limits exist to stop.
 */
export function spendRefusal(
  code: 'BUDGET_EXCEEDED' | 'CAP_EXCEEDED' | 'VELOCITY_LIMITED' | 'PAYMENT_DECLINED',
  reason: string,
  details: Record<string, unknown>,
): ProjectsError {
  const retry =
    code === 'PAYMENT_DECLINED'
      ? 'Do not retry with this payment token; start a new purchase.'
      : NOT_RETRYABLE;
  return new ProjectsError(code, `Spend refused: ${reason}. ${retry}`, {
    httpStatus: code === 'VELOCITY_LIMITED' ? 429 : 402,
    details: { ...details, retryable: false },
    next: [{ command: 'projects budget', why: 'see the limits and what has been spent' }],
  });
}
