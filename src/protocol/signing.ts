import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Request signing between orchestrator and providers (DESIGN.md §2):
 * header `Projects-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * Requests outside a 300 s window are stale; a signature seen before is a replay. GET/HEAD requests have
 * no body and are safe, so the replay guard applies to requests that carry a body; every POST body of the
 * protocol carries a fresh `request_id` so that two legitimate POSTs never share a signature.
 */
/** Headers of the protocol (lower case, as Node exposes them); kept here, apart from the zod schemas. */
export const SIGNATURE_HEADER = 'projects-signature';
/** Which orchestrator signed a request to a provider. */
export const ORCHESTRATOR_HEADER = 'projects-orchestrator';
/** Which provider signed a capture sent to the orchestrator. */
export const PROVIDER_HEADER = 'projects-provider';
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export function computeSignature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function signatureHeader(secret: string, body: string, now: number = Date.now()): string {
  const t = Math.floor(now / 1000);
  return `t=${t},v1=${computeSignature(secret, t, body)}`;
}

export type SignatureFailure = 'missing' | 'malformed' | 'stale' | 'mismatch' | 'replayed';

export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureFailure; message: string };

/** Remembers signatures seen inside the tolerance window. The default keeps them in memory. */
export interface ReplayGuard {
  /** Returns true when `signature` was already seen; records it otherwise. */
  seen(signature: string, timestamp: number): boolean;
}

export function memoryReplayGuard(): ReplayGuard {
  const seen = new Map<string, number>();
  return {
    seen(signature, timestamp) {
      const horizon = Math.floor(Date.now() / 1000) - SIGNATURE_TOLERANCE_SECONDS * 2;
      for (const [key, t] of seen) if (t < horizon) seen.delete(key);
      if (seen.has(signature)) return true;
      seen.set(signature, timestamp);
      return false;
    },
  };
}

function parseHeader(header: string): { t: number; v1: string[] } | undefined {
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && value && /^[0-9a-f]{64}$/.test(value)) v1.push(value);
  }
  return t === undefined || v1.length === 0 ? undefined : { t, v1 };
}

export function verifySignature(input: {
  secret: string;
  header: string | undefined;
  body: string;
  replayGuard?: ReplayGuard | undefined;
  now?: number;
}): SignatureCheck {
  if (!input.header) return { ok: false, reason: 'missing', message: `missing ${SIGNATURE_HEADER} header` };
  const parsed = parseHeader(input.header);
  if (!parsed) return { ok: false, reason: 'malformed', message: `malformed ${SIGNATURE_HEADER} header` };
  const nowSeconds = Math.floor((input.now ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - parsed.t) > SIGNATURE_TOLERANCE_SECONDS) {
    return { ok: false, reason: 'stale', message: 'signature timestamp outside the 300 s window' };
  }
  const expected = Buffer.from(computeSignature(input.secret, parsed.t, input.body), 'hex');
  const match = parsed.v1.find((candidate) => timingSafeEqual(Buffer.from(candidate, 'hex'), expected));
  if (!match) return { ok: false, reason: 'mismatch', message: 'signature does not match the request body' };
  if (input.replayGuard && input.body.length > 0 && input.replayGuard.seen(match, parsed.t)) {
    return { ok: false, reason: 'replayed', message: 'signature already used (replay)' };
  }
  return { ok: true };
}
