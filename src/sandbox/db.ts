import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** The sandbox's one database file inside its data directory. */
export function sandboxDatabasePath(dataDir: string): string {
  return join(dataDir, 'sandbox.db');
}

/**
 * Opens the sandbox's single SQLite file in WAL mode. Every module owns its tables and brings its own
 * ordered migrations; they are applied once each, tracked per module, inside a transaction.
 */
export function openDatabase(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (module, version))',
  );
  return db;
}

export function migrate(db: Db, module: string, migrations: readonly string[]): void {
  const applied = new Set(
    (
      db.prepare('SELECT version FROM schema_migrations WHERE module = ?').all(module) as {
        version: number;
      }[]
    ).map((row) => row.version),
  );
  const record = db.prepare('INSERT INTO schema_migrations (module, version) VALUES (?, ?)');
  migrations.forEach((sql, index) => {
    if (applied.has(index)) return;
    db.transaction(() => {
      db.exec(sql);
      record.run(module, index);
    })();
  });
}
