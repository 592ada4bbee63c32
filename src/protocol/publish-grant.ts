import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A publish grant: the orchestrator's word that a production change was authorized (by a token carrying
 * `deploy:production`, or by a human's approval). The orchestrator mints it with the secret it shares with
 * the provider (the same one that signs its requests); the provider refuses to move a site's production
 * alias without one, so holding a deploy token is enough for previews but never for production.
 *
 * Format: `pg1.<base64url(JSON claims)>.<hex HMAC-SHA256(secret, "pg1." + payload)>`.
 */
export interface PublishClaims {
  /** The provider's resource id of the site (`res_…`). */
  site: string;
  /** The deployment that may become production (`dpl_…`). */
  deployment: string;
  /** Expiry, unix seconds. */
  exp: number;
}

const PREFIX = 'pg1';
export const PUBLISH_GRANT_TTL_SECONDS = 300;

function mac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(`${PREFIX}.${payload}`).digest('hex');
}

export function mintPublishGrant(
  secret: string,
  claims: Omit<PublishClaims, 'exp'>,
  now: number = Date.now(),
): { grant: string; expiresAt: Date } {
  const exp = Math.floor(now / 1000) + PUBLISH_GRANT_TTL_SECONDS;
  const payload = Buffer.from(JSON.stringify({ ...claims, exp })).toString('base64url');
  return { grant: `${PREFIX}.${payload}.${mac(secret, payload)}`, expiresAt: new Date(exp * 1000) };
}

/** The claims of a grant that is authentic and unexpired, or undefined. */
export function verifyPublishGrant(
  secret: string,
  grant: string | undefined,
  now: number = Date.now(),
): PublishClaims | undefined {
  const [prefix, payload, signature] = (grant ?? '').split('.');
  if (prefix !== PREFIX || !payload || !signature || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  const expected = Buffer.from(mac(secret, payload), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return undefined;
  let claims: PublishClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as PublishClaims;
  } catch {
    return undefined;
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return undefined;
  if (typeof claims.site !== 'string' || typeof claims.deployment !== 'string') return undefined;
  return claims;
}
