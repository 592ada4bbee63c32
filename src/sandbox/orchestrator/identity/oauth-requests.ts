import { createHash, randomInt } from 'node:crypto';
import { CLI_CLIENT_ID, type OAuthErrorCode } from '../../../protocol/oauth.js';
import { isScope, SCOPES, type Scope } from '../../../protocol/scopes.js';

/** An OAuth protocol error (RFC 6749 §5.2), answered as `{error, error_description}` rather than our envelope. */
export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    message: string,
    readonly status = code === 'invalid_client' ? 401 : 400,
  ) {
    super(message);
  }
}

export function requireClient(clientId: unknown): void {
  if (clientId !== CLI_CLIENT_ID)
    throw new OAuthError('invalid_client', `unknown client '${String(clientId)}'`);
}

/** A requested `scope` (space-separated); none means every scope — a human's login may do all. */
export function parseRequestedScopes(scope: unknown): Scope[] {
  if (scope === undefined || scope === '') return [...SCOPES];
  const requested = String(scope).split(' ').filter(Boolean);
  const unknown = requested.filter((value) => !isScope(value));
  if (unknown.length > 0) throw new OAuthError('invalid_scope', `unknown scope: ${unknown.join(', ')}`);
  return SCOPES.filter((known) => requested.includes(known));
}

/**
 * Native apps receive the authorization code on a loopback redirect (RFC 8252 §7.3): plain http on
 * 127.0.0.1, [::1] or localhost, any port, any path — nothing else, so a code never leaves the machine.
 */
export function isLoopbackRedirect(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (
      url.protocol === 'http:' &&
      ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname) &&
      url.username === '' &&
      url.password === '' &&
      url.hash === ''
    );
  } catch {
    return false;
  }
}

/** RFC 7636 §4.1/§4.2: a 43–128 character verifier whose S256 challenge must match. */
export function pkceMatches(verifier: unknown, challenge: string): boolean {
  if (typeof verifier !== 'string' || !/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return false;
  return createHash('sha256').update(verifier).digest('base64url') === challenge;
}

export function isS256Challenge(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
}

// RFC 8628 §6.1: consonants only (no vowels, no look-alikes) — easy to read aloud, no accidental words.
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

export function newUserCode(): string {
  const chars = Array.from({ length: 8 }, () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]);
  return `${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`;
}

/** Accepts what a human types: any case, with or without the dash or spaces. */
export function normalizeUserCode(input: unknown): string | undefined {
  const letters = String(input ?? '')
    .toUpperCase()
    .replace(/[\s-]/g, '');
  if (letters.length !== 8 || [...letters].some((char) => !USER_CODE_ALPHABET.includes(char)))
    return undefined;
  return `${letters.slice(0, 4)}-${letters.slice(4)}`;
}
