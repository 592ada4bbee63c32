import { readIfExists } from '../files.js';
import { ProjectsError } from '../protocol/errors.js';
import { CIPHER, createKeyFile, decrypt, encrypt, readKeyFile, writePrivateFile } from './cipher.js';
import { withFileLock } from './lock.js';
import type { SecretBackend } from './types.js';

const FORMAT = 'projects-credentials-fallback';

/**
 * The file's clear-text header. `fallback: true` and `notice` say what the file is to anyone who opens
 * it; the header is bound to the ciphertext as GCM additional data, so it cannot be altered unnoticed.
 */
interface FileHeader {
  format: typeof FORMAT;
  version: 1;
  fallback: true;
  notice: string;
  cipher: typeof CIPHER;
  keyFile: string;
}

interface EncryptedFile extends FileHeader {
  iv: string;
  tag: string;
  ciphertext: string;
}

export interface FileStoreOptions {
  /** The encrypted credential file. */
  path: string;
  /** The 32-byte key, kept in another directory than the file so that copying one does not leak both. */
  keyPath: string;
  /** Why the fallback is used, written into the file's notice. */
  reason: string;
}

function undecryptable(path: string): ProjectsError {
  return new ProjectsError('AUTH_REQUIRED', `the credential file ${path} cannot be decrypted with its key`, {
    next: [{ command: 'projects login', why: 'sign in again to replace the unreadable credentials' }],
  });
}

/**
 * The AES-256-GCM encrypted fallback used when no OS keychain answers: one 0600 JSON file holding all
 * entries, encrypted as a whole under a random key kept in a separate 0600 file. Every call reads the
 * file afresh (it is small), so that a change made by another process in the meantime is never lost.
 */
export class EncryptedFileBackend implements SecretBackend {
  readonly kind = 'file' as const;

  constructor(private readonly options: FileStoreOptions) {}

  async get(key: string): Promise<string | undefined> {
    return this.load().get(key);
  }

  set(key: string, value: string): Promise<void> {
    return this.update((entries) => {
      entries.set(key, value);
      return true;
    }).then(() => undefined);
  }

  delete(key: string): Promise<boolean> {
    return this.update((entries) => entries.delete(key));
  }

  /** Read, change, write back, as the only writer: two commands saving at once must not lose an entry. */
  private update(change: (entries: Map<string, string>) => boolean): Promise<boolean> {
    return withFileLock(`${this.options.path}.lock`, async () => {
      const entries = this.loadForWrite();
      const changed = change(entries);
      if (changed) this.save(entries);
      return changed;
    });
  }

  private header(): FileHeader {
    return {
      format: FORMAT,
      version: 1,
      fallback: true,
      notice: `Fallback credential store, encrypted with AES-256-GCM, used because ${this.options.reason}. The OS keychain is preferred when one is available.`,
      cipher: CIPHER,
      keyFile: this.options.keyPath,
    };
  }

  private load(): Map<string, string> {
    const text = readIfExists(this.options.path);
    if (text === undefined) return new Map();
    const file = JSON.parse(text) as EncryptedFile;
    const key = readKeyFile(this.options.keyPath);
    if (!key || file.format !== FORMAT) throw undecryptable(this.options.path);
    const { iv, tag, ciphertext, ...header } = file;
    try {
      const clear = decrypt(
        key,
        {
          iv: Buffer.from(iv, 'base64'),
          tag: Buffer.from(tag, 'base64'),
          ciphertext: Buffer.from(ciphertext, 'base64'),
        },
        JSON.stringify(header),
      );
      return new Map(Object.entries(JSON.parse(clear) as Record<string, string>));
    } catch {
      throw undecryptable(this.options.path);
    }
  }

  /** An unreadable file holds nothing usable, so a write (a new login) starts it afresh. */
  private loadForWrite(): Map<string, string> {
    try {
      return this.load();
    } catch (error) {
      if (!(error instanceof ProjectsError)) throw error;
      return new Map();
    }
  }

  private save(entries: Map<string, string>): void {
    const key = readKeyFile(this.options.keyPath) ?? createKeyFile(this.options.keyPath);
    const header = this.header();
    const { iv, tag, ciphertext } = encrypt(
      key,
      JSON.stringify(Object.fromEntries(entries)),
      JSON.stringify(header),
    );
    const file: EncryptedFile = {
      ...header,
      iv: iv.toString('base64'),
      tag: tag.toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
    writePrivateFile(this.options.path, `${JSON.stringify(file, null, 2)}\n`);
  }
}
