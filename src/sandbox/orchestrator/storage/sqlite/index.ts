import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { Db } from '../../../db.js';
import type { OrchestratorStorage, OrchestratorTx } from '../unit-of-work.js';
import { SqliteAuditRepository } from './audit.js';
import { SqliteIdentityStore } from './identity.js';
import {
  SqliteBudgetRunRepository,
  SqliteFreezeRepository,
  SqliteGateRepository,
  SqliteIdempotencyRepository,
  SqliteLedgerRepository,
  SqliteLimitsRepository,
} from './money.js';
import {
  SqliteAccountRepository,
  SqliteApprovalRepository,
  SqliteInflightRepository,
  SqliteProjectRepository,
  SqliteProviderRepository,
  SqliteQuoteRepository,
  SqliteResourceRepository,
} from './runs.js';

/**
 * The SQLite backend of the orchestrator's storage: one better-sqlite3 connection (WAL) shared by the
 * whole process. A unit of work is `BEGIN IMMEDIATE … COMMIT`, which takes SQLite's single write lock, so
 * it is serializable against other processes too. Inside one process every statement goes through that
 * one connection, and a unit's `work` is async: a queue admits one unit at a time, so no other unit's
 * statements can run between a unit's awaits and land in its transaction.
 */
class SqliteStorage implements OrchestratorStorage {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly tx: SqliteTx;
  /** Set while a unit's work runs, to catch a unit opened from inside another one. */
  private readonly inUnit = new AsyncLocalStorage<true>();
  /** A process opens its connection once, at start: the connection's lifetime is the instance's. */
  readonly instance = `ins_${randomBytes(16).toString('hex')}`;

  constructor(private readonly db: Db) {
    this.tx = new SqliteTx(db, this.instance);
  }

  transaction<T>(work: (tx: OrchestratorTx) => Promise<T>): Promise<T> {
    // It would queue behind the unit it runs in and wait forever: nesting goes through `tx.transaction`.
    if (this.inUnit.getStore()) {
      return Promise.reject(new Error('a unit of work was opened inside another; use tx.transaction'));
    }
    const unit = this.queue.then(() => this.run(work));
    this.queue = unit.catch(() => undefined);
    return unit;
  }

  private async run<T>(work: (tx: OrchestratorTx) => Promise<T>): Promise<T> {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = await this.inUnit.run(true, () => work(this.tx));
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }
}

/** The repositories of an open unit; a nested unit is a savepoint. */
class SqliteTx implements OrchestratorTx {
  readonly audit: SqliteAuditRepository;
  readonly ledger: SqliteLedgerRepository;
  readonly limits: SqliteLimitsRepository;
  readonly budgetRuns: SqliteBudgetRunRepository;
  readonly freezes: SqliteFreezeRepository;
  readonly gates: SqliteGateRepository;
  readonly idempotency: SqliteIdempotencyRepository;
  readonly providers: SqliteProviderRepository;
  readonly projects: SqliteProjectRepository;
  readonly quotes: SqliteQuoteRepository;
  readonly inflight: SqliteInflightRepository;
  readonly resources: SqliteResourceRepository;
  readonly accounts: SqliteAccountRepository;
  readonly approvals: SqliteApprovalRepository;
  readonly identity: SqliteIdentityStore;
  private depth = 0;

  constructor(
    private readonly db: Db,
    readonly instance: string,
  ) {
    this.audit = new SqliteAuditRepository(db);
    this.ledger = new SqliteLedgerRepository(db);
    this.limits = new SqliteLimitsRepository(db);
    this.budgetRuns = new SqliteBudgetRunRepository(db);
    this.freezes = new SqliteFreezeRepository(db);
    this.gates = new SqliteGateRepository(db);
    this.idempotency = new SqliteIdempotencyRepository(db);
    this.providers = new SqliteProviderRepository(db);
    this.projects = new SqliteProjectRepository(db);
    this.quotes = new SqliteQuoteRepository(db);
    this.inflight = new SqliteInflightRepository(db);
    this.resources = new SqliteResourceRepository(db);
    this.accounts = new SqliteAccountRepository(db);
    this.approvals = new SqliteApprovalRepository(db);
    this.identity = new SqliteIdentityStore(db);
  }

  async transaction<T>(work: (tx: OrchestratorTx) => Promise<T>): Promise<T> {
    this.depth += 1;
    const savepoint = `unit_${this.depth}`;
    this.db.exec(`SAVEPOINT ${savepoint}`);
    try {
      const result = await work(this);
      this.db.exec(`RELEASE ${savepoint}`);
      return result;
    } catch (error) {
      this.db.exec(`ROLLBACK TO ${savepoint}`);
      this.db.exec(`RELEASE ${savepoint}`);
      throw error;
    } finally {
      this.depth -= 1;
    }
  }
}

const storages = new WeakMap<Db, OrchestratorStorage>();

/**
 * The storage over this connection. One per connection, because the queue that keeps units apart must be
 * shared by everyone using the connection.
 */
export function sqliteStorage(db: Db): OrchestratorStorage {
  let storage = storages.get(db);
  if (!storage) {
    storage = new SqliteStorage(db);
    storages.set(db, storage);
  }
  return storage;
}
