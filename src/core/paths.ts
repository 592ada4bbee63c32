import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the CLI and the sandbox keep their files. `PROJECTS_HOME` overrides everything (tests use it);
 * otherwise the XDG base directories apply. Pure: reads only the environment object it is given.
 */
export interface ProjectsPaths {
  configDir: string;
  dataDir: string;
  sandboxDir: string;
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env): ProjectsPaths {
  const home = env.PROJECTS_HOME;
  const configDir = home
    ? join(home, 'config')
    : join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'projects');
  const dataDir = home
    ? join(home, 'data')
    : join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'projects');
  return { configDir, dataDir, sandboxDir: join(dataDir, 'sandbox') };
}
