import { describe, expect, it } from 'vitest';
import { readSource, sourceFiles } from '../helpers/source-boundary.js';

/**
 * src/core is pure logic (docs/architecture.md): it may compute (hashes, URL and path arithmetic, the
 * home directory's name) but never does IO. Anything that touches files, sockets or processes lives in
 * the layer that owns that IO.
 */
const ALLOWED_BUILTINS = new Set(['node:crypto', 'node:path', 'node:url', 'node:os']);

/** The modules a file imports that pure code may not: IO built-ins, and the IO layers of this repository. */
function impureImports(path: string): string[] {
  const text = readSource(path);
  const specifiers = [...text.matchAll(/from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (match) => (match[1] ?? match[2]) as string,
  );
  return specifiers.filter((specifier) =>
    specifier.startsWith('node:')
      ? !ALLOWED_BUILTINS.has(specifier)
      : /\/(cli|client|credentials|sandbox)\//.test(specifier),
  );
}

describe('src/core', () => {
  it('does no IO: no fs, net, http or process built-ins, and no import of an IO layer', () => {
    const files = sourceFiles('src/core');
    expect(files.length).toBeGreaterThan(10);
    const impure = files.flatMap((file) => impureImports(file).map((specifier) => `${file}: ${specifier}`));
    expect(impure).toEqual([]);
  });
});
