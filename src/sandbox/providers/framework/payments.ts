import { newRequestId } from '../../../client/provider-client.js';
import { isErrorCode, ProjectsError } from '../../../protocol/errors.js';
import {
  type CaptureRequest as CaptureRequestBody,
  CaptureResponse,
  PROVIDER_HEADER,
} from '../../../protocol/provider.js';
import { SIGNATURE_HEADER, signatureHeader } from '../../../protocol/signing.js';
import { assertOrchestratorUrl } from './accounts.js';
import type { ProviderRuntime } from './types.js';

/**
 * Redeems a payment token at the orchestrator (contract: TEAM.md / docs/provider-protocol.md). The
 * outcome is one of: captured (or replayed — the idempotency key was seen), refused (a definitive error
 * code from the orchestrator: the token is no good, ask for another), or unknown (network, 5xx): the
 * caller keeps the same idempotency key so a retry cannot charge twice.
 */
export type CaptureOutcome =
  | { kind: 'captured'; capture: CaptureResponse }
  | { kind: 'refused'; error: ProjectsError }
  | { kind: 'unknown'; error: ProjectsError };

const CAPTURE_TIMEOUT_MS = 10_000;

export async function capturePayment(
  rt: ProviderRuntime,
  secret: string,
  captureUrl: string,
  body: Omit<CaptureRequestBody, 'request_id'>,
): Promise<CaptureOutcome> {
  assertOrchestratorUrl(rt, captureUrl, 'capture_url');
  const payload = JSON.stringify({ ...body, request_id: newRequestId() });
  let status: number;
  let json: unknown;
  try {
    const response = await fetch(captureUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [PROVIDER_HEADER]: rt.id,
        [SIGNATURE_HEADER]: signatureHeader(secret, payload, rt.now()),
      },
      body: payload,
      signal: AbortSignal.timeout(CAPTURE_TIMEOUT_MS),
    });
    status = response.status;
    json = await response.json().catch(() => null);
  } catch (error) {
    return {
      kind: 'unknown',
      error: unavailable('the orchestrator could not be reached to capture payment', error),
    };
  }
  if (status >= 200 && status < 300) {
    const parsed = CaptureResponse.safeParse(json);
    return parsed.success
      ? { kind: 'captured', capture: parsed.data }
      : { kind: 'unknown', error: unavailable('the orchestrator answered the capture with an invalid body') };
  }
  const error = (json as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (status < 500 && error && isErrorCode(error.code)) {
    const message = typeof error.message === 'string' ? error.message : 'payment refused';
    return {
      kind: 'refused',
      error: new ProjectsError(error.code, `payment capture refused: ${message}`, {
        httpStatus: status,
        details:
          typeof error.details === 'object' && error.details
            ? (error.details as Record<string, unknown>)
            : {},
      }),
    };
  }
  return { kind: 'unknown', error: unavailable(`the orchestrator failed the capture (HTTP ${status})`) };
}

function unavailable(message: string, cause?: unknown): ProjectsError {
  return new ProjectsError('ORCHESTRATOR_UNAVAILABLE', `${message}; retry with the same idempotency_key`, {
    httpStatus: 503,
    ...(cause === undefined ? {} : { cause }),
  });
}
