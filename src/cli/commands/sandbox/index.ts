import { ProjectsError } from '../../../protocol/errors.js';
import type { CommandModule } from '../../command.js';
import type { Factory } from '../../factory.js';
import type { CommandResult } from '../../output.js';

/** `projects sandbox start|stop|status|reset`: the local reference orchestrator and providers. */

export interface SandboxStartOptions {
  port: number;
  foreground: boolean;
  userEmail?: string | undefined;
  userPassword?: string | undefined;
}

function parsePort(value: unknown): number {
  const port = Number(value ?? 4780);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ProjectsError(
      'INVALID_ARGUMENT',
      `--port must be an integer from 0 to 65535, not '${String(value)}'`,
    );
  }
  return port;
}

/** The daemon gets the caller's environment without the sandbox user's password. */
function daemonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { PROJECTS_SANDBOX_USER_PASSWORD: _password, ...rest } = env;
  return rest;
}

function announceUser(factory: Factory, user: { email: string; password: string } | undefined): void {
  if (!user) return;
  factory.output.info(
    `Created the sandbox user ${user.email} with password ${user.password}\n` +
      'This password is shown only once; sign in at the orchestrator with it (projects login).',
  );
}

export async function runSandboxStart(
  options: SandboxStartOptions,
  factory: Factory,
): Promise<CommandResult> {
  const lifecycle = await import('../../../sandbox/lifecycle.js');
  const sandboxDir = factory.paths.sandboxDir;
  const user = {
    email: options.userEmail ?? factory.env.PROJECTS_SANDBOX_USER_EMAIL,
    password: options.userPassword ?? factory.env.PROJECTS_SANDBOX_USER_PASSWORD,
  };
  factory.redactor.register(user.password);
  if (options.foreground)
    return runInForeground(lifecycle, { sandboxDir, port: options.port, user }, factory);
  const result = await lifecycle.startSandboxDaemon({
    sandboxDir,
    port: options.port,
    user,
    env: daemonEnv(factory.env),
  });
  announceUser(factory, result.generatedUser);
  if (result.alreadyRunning) factory.output.info(`The sandbox is already running (pid ${result.state.pid}).`);
  return {
    data: {
      orchestrator: { url: result.state.url },
      providers: result.state.providers,
      endpoints: result.state.endpoints,
      pid: result.state.pid,
      already_running: result.alreadyRunning,
      data_dir: sandboxDir,
    },
    human: () => result.state.url,
    next: [
      { command: `projects login --orchestrator ${result.state.url}`, why: 'sign the CLI in to the sandbox' },
    ],
  };
}

async function runInForeground(
  lifecycle: typeof import('../../../sandbox/lifecycle.js'),
  options: {
    sandboxDir: string;
    port: number;
    user: { email?: string | undefined; password?: string | undefined };
  },
  factory: Factory,
): Promise<CommandResult> {
  const user = await lifecycle.prepareSandbox(options.sandboxDir, options.user);
  announceUser(factory, user.password ? { email: user.email, password: user.password } : undefined);
  const sandbox = await lifecycle.serveSandbox({
    sandboxDir: options.sandboxDir,
    port: options.port,
    log: (line) => factory.output.info(line),
  });
  factory.output.info(
    `Sandbox running at ${sandbox.state.url} (pid ${process.pid}); Ctrl-C or SIGTERM stops it.`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sandbox.close();
  return {
    data: { orchestrator: { url: sandbox.state.url }, stopped: true },
    human: () => sandbox.state.url,
  };
}

export async function runSandboxStop(factory: Factory): Promise<CommandResult> {
  const { stopSandbox } = await import('../../../sandbox/lifecycle.js');
  const result = await stopSandbox(factory.paths.sandboxDir);
  factory.output.info(
    result.wasRunning ? 'Sandbox stopped; its state is kept.' : 'The sandbox was not running.',
  );
  return {
    data: { stopped: result.wasRunning, pid: result.pid ?? null },
    next: [{ command: 'projects sandbox start', why: 'start it again with the same state' }],
  };
}

export async function runSandboxStatus(factory: Factory): Promise<CommandResult> {
  const { sandboxStatus } = await import('../../../sandbox/lifecycle.js');
  const status = await sandboxStatus(factory.paths.sandboxDir);
  const health = (ok: boolean) => (ok ? 'healthy' : 'NOT ANSWERING');
  return {
    data: status,
    human: () =>
      status.orchestrator
        ? [
            `orchestrator  ${status.orchestrator.url}  ${health(status.orchestrator.healthy)}`,
            ...status.providers.map(
              (provider) => `${provider.id.padEnd(13)} ${provider.url}  ${health(provider.healthy)}`,
            ),
            ...Object.entries(status.endpoints).map(([name, address]) => `${name.padEnd(13)} ${address}`),
          ].join('\n')
        : 'not running',
    ...(status.running ? {} : { next: [{ command: 'projects sandbox start', why: 'start the sandbox' }] }),
  };
}

/** Deleting every user, login, card and purchase is not undone: a human confirms, or passes --yes. */
export async function runSandboxReset(factory: Factory): Promise<CommandResult> {
  const sandboxDir = factory.paths.sandboxDir;
  if (!factory.globals.yes) {
    const prompter = await factory.prompter([
      { command: 'projects sandbox reset --yes', why: 'confirm deleting all sandbox state' },
    ]);
    if (!(await prompter.confirm(`Delete all sandbox state in ${sandboxDir}?`, false))) {
      throw new ProjectsError('INVALID_ARGUMENT', 'reset cancelled; nothing was deleted');
    }
  }
  const { resetSandbox } = await import('../../../sandbox/lifecycle.js');
  const result = await resetSandbox(sandboxDir);
  factory.output.info('Sandbox state deleted.');
  return { data: { reset: true, was_running: result.wasRunning, data_dir: sandboxDir } };
}

export const start: CommandModule = {
  run: (factory, { options }) =>
    runSandboxStart(
      {
        port: parsePort(options.port),
        foreground: options.foreground === true,
        userEmail: options.userEmail as string | undefined,
        userPassword: options.userPassword as string | undefined,
      },
      factory,
    ),
};
export const stop: CommandModule = { run: (factory) => runSandboxStop(factory) };
export const status: CommandModule = { run: (factory) => runSandboxStatus(factory) };
export const reset: CommandModule = { run: (factory) => runSandboxReset(factory) };
