import { randomBytes } from 'node:crypto';
import type { SecretPrefix } from './secret-shape.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A new random secret `<prefix>_<32 base62 chars>` (~190 bits). */
export function newSecret(prefix: SecretPrefix): string {
  const bytes = randomBytes(32);
  let body = '';
  for (const byte of bytes) body += ALPHABET[byte % 62];
  return `${prefix}_${body}`;
}
