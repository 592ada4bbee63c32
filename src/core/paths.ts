import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

let root: string | undefined;

/**
 * The installed package's root (where package.json, templates/ and dist/ are), found by walking up from this
 * module. Works whether the code runs from tsc's dist/ tree, from the CLI bundle or from src/ in tests, so no
 * module depends on its own depth in the tree.
 */
export function packageRoot(): string {
  if (root) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      root = dir;
      return dir;
    }
    if (dirname(dir) === dir) throw new Error('projects: cannot find the package root');
  }
}
