import type { FastifyInstance } from 'fastify';
import type { Db } from './db.js';
import type { OrchestratorStorage } from './orchestrator/storage/unit-of-work.js';
import type { SealedColumn, SecretBox } from './secret-box.js';

/** What every sandbox module (the orchestrator, each provider) is handed. */
export interface SandboxContext {
  /** The raw database: for the providers' store modules (`store.ts`) and the sandbox framework only. */
  db: Db;
  /** The orchestrator's repositories (docs/architecture.md, "Storage"); the one way its modules store data. */
  storage: OrchestratorStorage;
  /** Seals secrets the sandbox must produce again before they go into the database (secret-box.ts). */
  secrets: SecretBox;
  /** Directory for files besides the database (deployment blobs, CA keys…). */
  dataDir: string;
  /** The root URL of the sandbox HTTP server, e.g. http://127.0.0.1:4780 — known once it listens. */
  baseUrl(): string;
  /** Endpoints published by modules once listening (e.g. `dns` → `127.0.0.1:5353`), shown by `sandbox status`. */
  endpoints: Map<string, string>;
  /** Injectable clock (ms) so that expiry logic can be tested without sleeping. */
  now(): number;
  log(line: string): void;
}

export interface SandboxModule {
  /** `orchestrator`, or `provider:<id>`. Also the migration namespace. */
  name: string;
  /** Ordered SQL migrations for the tables this module owns (prefix them with the module's short name). */
  migrations: readonly string[];
  /** Columns whose values the module stores sealed with `ctx.secrets`; clear values are sealed at start. */
  sealedColumns?: readonly SealedColumn[];
  /** URL prefix the module's routes are mounted under (`''` for the orchestrator, `/providers/<id>` for providers). */
  prefix: string;
  /** Routes, encapsulated under `prefix` (a Fastify plugin). */
  register(app: FastifyInstance, ctx: SandboxContext): Promise<void>;
  /** Optional root-level hooks, e.g. Host-header routing for deployed sites. */
  registerRoot?(app: FastifyInstance, ctx: SandboxContext): Promise<void>;
  /** Optional extra listeners (DNS, HTTPS) started after the HTTP server listens; returns their closer. */
  onListen?(ctx: SandboxContext): Promise<() => Promise<void>>;
}
