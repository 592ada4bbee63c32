import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDatabase, sandboxDatabasePath } from '../../src/sandbox/db.js';
import { sqliteStorage } from '../../src/sandbox/orchestrator/storage/sqlite/index.js';
import {
  AUDIT_MIGRATIONS,
  IDENTITY_MIGRATIONS,
  MONEY_MIGRATIONS,
  RUNS_MIGRATIONS,
} from '../../src/sandbox/orchestrator/storage/sqlite/migrations.js';
import { storageContract } from './contract.js';

/** The SQLite backend against the storage contract, on a real database file (WAL). */
storageContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'projects-storage-'));
  const db = openDatabase(sandboxDatabasePath(dir));
  migrate(db, 'orchestrator:identity', IDENTITY_MIGRATIONS);
  migrate(db, 'orchestrator:audit', AUDIT_MIGRATIONS);
  migrate(db, 'orchestrator:money', MONEY_MIGRATIONS);
  migrate(db, 'orchestrator:runs', RUNS_MIGRATIONS);
  const connections = [db];
  return {
    storage: sqliteStorage(db),
    // A connection of its own, as a restarted sandbox opens (the first one stays open, as a dead
    // process's rows stay in the file).
    async reopen() {
      const next = openDatabase(sandboxDatabasePath(dir));
      connections.push(next);
      return sqliteStorage(next);
    },
    async close() {
      for (const connection of connections) connection.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
