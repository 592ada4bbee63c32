import type { Factory } from '../../factory.js';

/**
 * The URL of the local sandbox orchestrator, started as `projects sandbox start` does (idempotently, as a
 * daemon, announcing a first-start user's password once) when it is not running.
 */
export async function ensureSandbox(factory: Factory): Promise<string> {
  const { runSandboxStart } = await import('../sandbox/index.js');
  const task = await factory.output.task('Starting the local sandbox');
  const started = await runSandboxStart({ port: 4780, foreground: false }, factory);
  const url = (started.data as { orchestrator: { url: string } }).orchestrator.url;
  task.succeed(`Local sandbox at ${url}`);
  return url;
}
