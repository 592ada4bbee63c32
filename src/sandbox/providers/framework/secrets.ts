import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { seal, unseal } from '../../../credentials/cipher.js';

/** Secret material of a provider: random tokens stored as hashes, passwords, sealed replay answers. */

export function randomToken(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

export function randomId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

/** Tokens are high-entropy, so a plain SHA-256 is enough to store them; only the hash is kept. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt:${salt.toString('base64url')}:${scryptSync(password, salt, 32).toString('base64url')}`;
}

export function checkPassword(password: string, stored: string | null): boolean {
  if (!stored) return false;
  const [scheme, salt, hash] = stored.split(':');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  return timingSafeEqual(scryptSync(password, Buffer.from(salt, 'base64url'), expected.length), expected);
}

/**
 * Idempotent replays of a resource creation must return the credentials handed out the first time (the
 * first answer may have been lost), so the answer is kept — sealed with AES-256-GCM under a key derived
 * from the provider's signing secret, never in clear text. (The sandbox keeps that secret itself sealed
 * under its key file: src/sandbox/secret-box.ts.)
 */
export function sealer(secret: string): { seal(value: unknown): string; open(sealed: string): unknown } {
  const key = createHash('sha256').update(`projects-provider-replay:${secret}`).digest();
  return {
    seal: (value) => seal(key, JSON.stringify(value)),
    open: (sealed) => JSON.parse(unseal(key, sealed)),
  };
}
