import type { AuditRepository } from '../audit/repository.js';
import type { IdentityStore } from '../identity/store.js';
import type {
  BudgetRunRepository,
  FreezeRepository,
  GateRepository,
  IdempotencyRepository,
  LedgerRepository,
  LimitsRepository,
} from '../money/repository.js';
import type {
  AccountRepository,
  ApprovalRepository,
  InflightRepository,
  ProjectRepository,
  ProviderRepository,
  QuoteRepository,
  ResourceRepository,
} from '../runs/repository.js';

/**
 * The orchestrator's storage boundary. Domain modules and route handlers see only this: repositories per
 * aggregate, reachable inside a unit of work. Backends: `sqlite/` (the sandbox's one SQLite file);
 * a PostgreSQL backend implements the same interfaces (docs/architecture.md, "Storage").
 *
 * The contract every backend keeps:
 * - `transaction(work)` runs `work` as ONE unit that is atomic and serializable: whatever `work` reads
 *   and then writes behaves as if no other unit ran at the same time, and all of its writes commit together
 *   or none do (a throw rolls back). Every invariant that needs a check and a write to be atomic (spend
 *   limits, idempotency claims, freeze, the audit chain) is a check+write inside one `transaction`.
 * - `work` may only await the repositories of its `tx` (no network, no timers): a backend may hold a lock
 *   for the whole unit, and a backend that retries serialization failures may run `work` more than once,
 *   so it must have no effect outside `tx` before it returns.
 * - `tx.transaction(inner)` nests: `inner` commits with the outer unit, and a throw out of `inner` rolls
 *   back only `inner`'s writes (a savepoint), so a caller may catch it and go on. Opening a unit on the
 *   storage itself from inside a unit is refused (it could not be part of the outer one).
 */
export interface OrchestratorStorage {
  /**
   * Which process opened this storage (`ins_…`, new at every start). Claims record it (the idempotency
   * store): one sandbox process serves one data directory, so a claim recorded by another instance was
   * left by a process that died. A backend shared by several live processes would need their liveness
   * (heartbeats) before treating another instance's claim as dead.
   */
  readonly instance: string;
  transaction<T>(work: (tx: OrchestratorTx) => Promise<T>): Promise<T>;
}

/** The repositories, valid only inside the unit of work that handed them out. */
export interface OrchestratorTx extends OrchestratorStorage {
  audit: AuditRepository;
  ledger: LedgerRepository;
  limits: LimitsRepository;
  budgetRuns: BudgetRunRepository;
  freezes: FreezeRepository;
  gates: GateRepository;
  idempotency: IdempotencyRepository;
  providers: ProviderRepository;
  projects: ProjectRepository;
  quotes: QuoteRepository;
  inflight: InflightRepository;
  resources: ResourceRepository;
  accounts: AccountRepository;
  approvals: ApprovalRepository;
  identity: IdentityStore;
}

type AsyncMethods<R> = { [K in keyof R]: R[K] extends (...args: never[]) => Promise<unknown> ? R[K] : never };

/**
 * A repository as seen from outside any unit of work: every method call runs as a unit of its own. For
 * code whose steps are each atomic alone; steps that must be atomic together share one `transaction`.
 */
export function oneUnitPerCall<R extends AsyncMethods<R>>(
  storage: OrchestratorStorage,
  pick: (tx: OrchestratorTx) => R,
): R {
  return new Proxy({} as R, {
    get:
      (_target, method) =>
      (...args: unknown[]) =>
        storage.transaction((tx) => {
          const repository = pick(tx) as Record<PropertyKey, (...args: unknown[]) => Promise<unknown>>;
          return repository[method]!(...args);
        }),
  });
}
