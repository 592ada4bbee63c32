import { createHash } from 'node:crypto';
import { seal, unseal } from '../../../../credentials/cipher.js';

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
  return { seal: (text) => seal(key, text), open: (sealed) => unseal(key, sealed) };
}
