import Fastify, { type FastifyInstance } from 'fastify';
import { ProjectsError } from '../protocol/errors.js';
import type { SandboxContext, SandboxModule } from './context.js';
import { type Db, migrate, openDatabase, sandboxDatabasePath } from './db.js';
import { sqliteStorage } from './orchestrator/storage/sqlite/index.js';
import type { OrchestratorStorage } from './orchestrator/storage/unit-of-work.js';
import { openSecretBox, sealClearValues } from './secret-box.js';

export interface SandboxOptions {
  /** Directory holding `sandbox.db` and module files. */
  dataDir: string;
  /** 0 picks a free port. */
  port?: number;
  modules: readonly SandboxModule[];
  now?: () => number;
  log?: (line: string) => void;
}

export interface RunningSandbox {
  url: string;
  app: FastifyInstance;
  db: Db;
  storage: OrchestratorStorage;
  context: SandboxContext;
  close(): Promise<void>;
}

/** Starts the sandbox HTTP server on 127.0.0.1 with the given modules mounted. Never binds elsewhere. */
export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const db = openDatabase(sandboxDatabasePath(options.dataDir));
  let url = '';
  const context: SandboxContext = {
    db,
    storage: sqliteStorage(db),
    secrets: openSecretBox(options.dataDir),
    dataDir: options.dataDir,
    baseUrl: () => url,
    endpoints: new Map(),
    now: options.now ?? Date.now,
    log: options.log ?? (() => {}),
  };
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024, forceCloseConnections: true });
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof ProjectsError) {
      return reply.status(error.httpStatus ?? 400).send(error.toBody());
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    const code = status === 404 ? 'NOT_FOUND' : status < 500 ? 'INVALID_ARGUMENT' : 'INTERNAL';
    if (status >= 500) context.log(`internal error: ${(error as Error).message}`);
    return reply
      .status(status)
      .send({ error: { code, message: status >= 500 ? 'internal error' : (error as Error).message } });
  });
  for (const module of options.modules) migrate(db, module.name, module.migrations);
  sealClearValues(
    db,
    context.secrets,
    options.modules.flatMap((module) => module.sealedColumns ?? []),
  );
  for (const module of options.modules) {
    if (module.registerRoot) await module.registerRoot(app, context);
    await app.register(async (scoped) => module.register(scoped, context), { prefix: module.prefix });
  }
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('sandbox did not bind a TCP port');
  url = `http://127.0.0.1:${address.port}`;
  const closers: (() => Promise<void>)[] = [];
  for (const module of options.modules) if (module.onListen) closers.push(await module.onListen(context));
  return {
    url,
    app,
    db,
    storage: context.storage,
    context,
    async close() {
      for (const close of closers.reverse()) await close();
      await app.close();
      db.close();
    },
  };
}
