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
  return {
    storage: sqliteStorage(db),
    async close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
