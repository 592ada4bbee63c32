import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The installed package's root (where package.json, templates/ and dist/ are), found by walking up from this
 * module. Works whether the code runs from tsc's dist/ tree, from the CLI bundle or from src/ in tests, so
 * no module depends on its own depth in the tree. It reads the file system, so it is not in src/core.
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
