import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createKeyFile, readKeyFile, seal, unseal } from '../credentials/cipher.js';
import { ProjectsError } from '../protocol/errors.js';
import type { Db } from './db.js';

/**
 * Secrets the sandbox must produce again — provider account tokens the orchestrator presents, resource
 * credentials it hands back on a replay, the providers' signing secrets — are kept in `sandbox.db` sealed
 * with AES-256-GCM under a key that is not in the database: `<dataDir>/secrets.key` (0600), created on first
 * start. A copy of the database alone reveals none of them. (Secrets the sandbox only verifies are stored
 * as SHA-256 hashes instead, and never need this.)
 */
export const SECRETS_KEY_FILE = 'secrets.key';

/** Sealed values carry this mark, so that clear text left by an older sandbox can be told apart. */
const MARK = 'sealed:v1:';

/** A database column whose values are sealed; the column's name is bound to each value as GCM data. */
export interface SealedColumn {
  table: string;
  column: string;
}

export interface SecretBox {
  seal(value: string, where: SealedColumn): string;
  /** Throws a ProjectsError naming the fix (`projects sandbox reset`) when the value cannot be opened. */
  open(sealed: string, where: SealedColumn): string;
}

function context({ table, column }: SealedColumn): string {
  return `${table}.${column}`;
}

function unreadable(keyPath: string, where: SealedColumn, why: string): ProjectsError {
  return new ProjectsError(
    'INTERNAL',
    `a secret in sandbox.db (${context(where)}) cannot be decrypted: ${why}. The sandbox's secrets are lost; ` +
      'reset it (state is deleted) to start afresh',
    {
      details: { key_file: keyPath },
      next: [{ command: 'projects sandbox reset', why: 'start a fresh sandbox' }],
    },
  );
}

function damaged(keyPath: string): never {
  throw new ProjectsError(
    'INTERNAL',
    `${keyPath} does not hold a 256-bit key; the sandbox's secrets are lost`,
    {
      details: { key_file: keyPath },
      next: [{ command: 'projects sandbox reset', why: 'start a fresh sandbox' }],
    },
  );
}

/**
 * The sandbox's secret box over `<dataDir>/secrets.key`, creating the key on first use. A key file that
 * exists but holds no key is refused, never replaced: replacing it would lose every sealed secret for good.
 */
export function openSecretBox(dataDir: string): SecretBox {
  const keyPath = join(dataDir, SECRETS_KEY_FILE);
  const key = readKeyFile(keyPath) ?? (existsSync(keyPath) ? damaged(keyPath) : createKeyFile(keyPath));
  return {
    seal: (value, where) => `${MARK}${seal(key, value, context(where))}`,
    open(sealed, where) {
      if (!sealed.startsWith(MARK)) throw unreadable(keyPath, where, 'it is not sealed');
      try {
        return unseal(key, sealed.slice(MARK.length), context(where));
      } catch {
        throw unreadable(keyPath, where, `${SECRETS_KEY_FILE} is not the key it was sealed with`);
      }
    },
  };
}

/**
 * Migrates a database from before secrets were sealed: every clear value of the columns is sealed in
 * place, and the file is then rebuilt so that no old page (in the database or its WAL) keeps the clear
 * text. Then one sealed value is opened, so that a replaced or lost key file fails the start with the way
 * out (`sandbox reset`) instead of failing some later request.
 */
export function sealClearValues(db: Db, box: SecretBox, columns: readonly SealedColumn[]): void {
  let sealed = 0;
  for (const where of columns) sealed += sealColumn(db, box, where);
  if (sealed > 0) {
    db.exec('VACUUM');
    db.pragma('wal_checkpoint(TRUNCATE)');
  }
  for (const where of columns) {
    const sample = db.prepare(`SELECT ${where.column} AS value FROM ${where.table} LIMIT 1`).get() as
      | { value: string }
      | undefined;
    if (sample) box.open(sample.value, where);
  }
}

function sealColumn(db: Db, box: SecretBox, where: SealedColumn): number {
  const { table, column } = where;
  return db.transaction(() => {
    const clear = db
      .prepare(`SELECT rowid AS id, ${column} AS value FROM ${table} WHERE ${column} NOT LIKE ?`)
      .all(`${MARK}%`) as { id: number; value: string }[];
    const update = db.prepare(`UPDATE ${table} SET ${column} = ? WHERE rowid = ?`);
    for (const row of clear) update.run(box.seal(row.value, where), row.id);
    return clear.length;
  })();
}
