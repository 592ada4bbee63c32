import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestBus {
  /** Environment for processes that should reach this bus (and only it). */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline >= 0) resolve(text.slice(0, newline).trim());
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`exited with ${code} before printing its address`)));
  });
}

async function nameHasOwner(address: string, name: string): Promise<boolean> {
  const { stdout } = await run(
    'dbus-send',
    [
      `--bus=${address}`,
      '--print-reply',
      '--dest=org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus.NameHasOwner',
      `string:${name}`,
    ],
    { timeout: 2000 },
  );
  return stdout.includes('boolean true');
}

async function waitFor(condition: () => Promise<boolean>, what: string, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (await condition().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** CI runners set `CI`, which rules the keychain out; tests that exercise store selection must not inherit it. */
export function withoutCI(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.CI;
  delete copy.PROJECTS_CREDENTIAL_STORE;
  return copy;
}

/**
 * A real Secret Service for tests: a private D-Bus session bus plus `gnome-keyring-daemon`, unlocked with a
 * throwaway password and keeping its keyrings in a temp directory. Needs Debian's `dbus` and
 * `gnome-keyring`; no X11, no session manager, and the user's own keyring is never touched.
 */
export async function startTestKeyring(): Promise<TestBus> {
  const dir = mkdtempSync(join(tmpdir(), 'projects-keyring-'));
  const runtime = join(dir, 'run');
  mkdirSync(runtime, { mode: 0o700 });
  const bus = spawn(
    'dbus-daemon',
    ['--session', '--nofork', '--print-address=1', `--address=unix:path=${join(dir, 'bus')}`],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const address = await firstLine(bus);
  const daemonEnv = {
    ...process.env,
    DBUS_SESSION_BUS_ADDRESS: address,
    HOME: dir,
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_RUNTIME_DIR: runtime,
  };
  const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
    env: daemonEnv,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  keyring.stdin?.end('test-keyring-password');
  await waitFor(() => nameHasOwner(address, 'org.freedesktop.secrets'), 'gnome-keyring-daemon on the bus');
  return {
    env: { ...withoutCI(process.env), DBUS_SESSION_BUS_ADDRESS: address },
    close: async () => {
      await stop(keyring);
      await stop(bus);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A "D-Bus" that accepts connections and never says a word: the Secret Service that hangs. */
export async function startSilentBus(): Promise<TestBus> {
  const dir = mkdtempSync(join(tmpdir(), 'projects-silent-bus-'));
  const path = join(dir, 'bus');
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    env: { ...withoutCI(process.env), DBUS_SESSION_BUS_ADDRESS: `unix:path=${path}` },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An environment with no D-Bus at all. */
export function noBusEnv(): NodeJS.ProcessEnv {
  const env = withoutCI(process.env);
  delete env.DBUS_SESSION_BUS_ADDRESS;
  env.XDG_RUNTIME_DIR = join(tmpdir(), 'projects-no-runtime-dir');
  return env;
}
