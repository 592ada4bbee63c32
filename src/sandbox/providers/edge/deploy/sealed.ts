import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * A worker's `env` holds the project's credentials, so it is kept sealed at rest (AES-256-GCM under a key
 * derived from the provider's secret), never as clear text in the sandbox database.
 */
export interface Sealer {
  seal(text: string): string;
  open(sealed: string): string;
}

export function envSealer(secret: string): Sealer {
  const key = createHash('sha256').update(`projects-edge-worker-env:${secret}`).digest();
  return {
    seal(text) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    open(sealed) {
      const raw = Buffer.from(sealed, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}
