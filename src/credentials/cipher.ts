import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { readIfExists } from '../files.js';

/**
 * The one AES-256-GCM implementation of the code base: the CLI's fallback credential file, the sandbox's
 * secrets at rest, the providers' sealed replay answers. GCM authenticates as well as encrypts, so a
 * tampered value or a wrong key fails to decrypt instead of yielding garbage; `aad` binds a ciphertext
 * to its context (a file header, a database column) so it cannot be moved elsewhere unnoticed.
 */
export const CIPHER = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Encrypted {
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

export function encrypt(key: Buffer, clear: string, aad?: string): Encrypted {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv);
  if (aad !== undefined) cipher.setAAD(Buffer.from(aad));
  const ciphertext = Buffer.concat([cipher.update(clear, 'utf8'), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), ciphertext };
}

/** Throws when the key, the context or a single bit of the value is wrong. */
export function decrypt(key: Buffer, encrypted: Encrypted, aad?: string): string {
  const decipher = createDecipheriv(CIPHER, key, encrypted.iv);
  if (aad !== undefined) decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(encrypted.tag);
  return Buffer.concat([decipher.update(encrypted.ciphertext), decipher.final()]).toString('utf8');
}

/** One value as one string, for a database column: base64(iv ‖ tag ‖ ciphertext). */
export function seal(key: Buffer, clear: string, aad?: string): string {
  const { iv, tag, ciphertext } = encrypt(key, clear, aad);
  return Buffer.concat([iv, tag, ciphertext]).toString('base64');
}

export function unseal(key: Buffer, sealed: string, aad?: string): string {
  const raw = Buffer.from(sealed, 'base64');
  const encrypted = {
    iv: raw.subarray(0, IV_BYTES),
    tag: raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES),
    ciphertext: raw.subarray(IV_BYTES + TAG_BYTES),
  };
  return decrypt(key, encrypted, aad);
}

/** Writes a file readable by its owner only, atomically (a crash never leaves half a file). */
export function writePrivateFile(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, data, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

/** A key file's key, or undefined when the file is missing or does not hold a 256-bit key. */
export function readKeyFile(path: string): Buffer | undefined {
  const text = readIfExists(path);
  const key = text === undefined ? undefined : Buffer.from(text.trim(), 'base64');
  return key?.length === KEY_BYTES ? key : undefined;
}

/** A new random key, written base64 to a 0600 file. */
export function createKeyFile(path: string): Buffer {
  const key = randomBytes(KEY_BYTES);
  writePrivateFile(path, `${key.toString('base64')}\n`);
  return key;
}
