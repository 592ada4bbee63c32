import { parseArgs } from 'node:util';
import { serveSandbox } from './lifecycle.js';

/**
 * Entry point of the detached sandbox process that `projects sandbox start` spawns:
 * `node dist/sandbox/daemon.js --dir <sandboxDir> --port <port>`. Its stdout/stderr go to sandbox.log.
 * It stops cleanly on SIGTERM/SIGINT (withdrawing state.json); the database stays.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, port: { type: 'string' } } });
  if (!values.dir) throw new Error('usage: daemon.js --dir <sandboxDir> [--port <port>]');
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const sandbox = await serveSandbox({ sandboxDir: values.dir, port: Number(values.port ?? 0), log });
  log(`sandbox listening on ${sandbox.state.url} (pid ${process.pid})`);
  const stop = async (signal: string) => {
    log(`${signal}: stopping`);
    await sandbox.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`${new Date().toISOString()} sandbox failed: ${(error as Error).message}\n`);
  process.exit(1);
});
