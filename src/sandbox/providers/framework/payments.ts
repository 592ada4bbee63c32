import { errorFromResponse, HttpClient } from '../../../client/http.js';
import { newRequestId } from '../../../client/provider-client.js';
import { Redactor } from '../../../core/redact.js';
import { isErrorCode, ProjectsError } from '../../../protocol/errors.js';
import { type CaptureRequest as CaptureRequestBody, CaptureResponse } from '../../../protocol/provider.js';
import { PROVIDER_HEADER, SIGNATURE_HEADER, signatureHeader } from '../../../protocol/signing.js';
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
  const target = new URL(captureUrl);
  const orchestrator = new HttpClient({
    baseUrl: target.origin,
    redactor: new Redactor(),
    timeoutMs: CAPTURE_TIMEOUT_MS,
    deadlineMs: CAPTURE_TIMEOUT_MS,
    unavailableCode: 'ORCHESTRATOR_UNAVAILABLE',
    userAgent: 'projects-provider',
  });
  let status: number;
  let json: unknown;
  try {
    // Sent once, whatever the answer: the caller decides what a failure means for the reservation.
    ({ status, body: json } = await orchestrator.unchecked('POST', `${target.pathname}${target.search}`, {
      body: { ...body, request_id: newRequestId() },
      signBody: (text) => ({ [SIGNATURE_HEADER]: signatureHeader(secret, text, rt.now()) }),
      headers: { [PROVIDER_HEADER]: rt.id },
    }));
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
  // Only an answer that names its reason is a refusal; anything else may have charged.
  const code = (json as { error?: { code?: unknown } } | null)?.error?.code;
  if (status < 500 && isErrorCode(code)) {
    const refusal = errorFromResponse(status, json, captureUrl, null);
    return {
      kind: 'refused',
      error: new ProjectsError(refusal.code, `payment capture refused: ${refusal.message}`, {
        httpStatus: status,
        ...(refusal.details ? { details: refusal.details } : {}),
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
