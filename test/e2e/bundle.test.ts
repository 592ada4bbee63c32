import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BUNDLE = fileURLToPath(new URL('../../dist/cli-bundle/', import.meta.url));
const chunkFiles = () => readdirSync(join(BUNDLE, 'chunks')).map((name) => join(BUNDLE, 'chunks', name));
// esbuild names each bundled file in a comment.
const COMMANDER = 'commander/lib/command.js';

/** The files an ES module loads before its body runs: itself and its static imports, transitively. */
function staticGraph(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  for (const [, specifier] of source.matchAll(/^import\s+(?:[^;]*?\s+from\s+)?['"](\.[^'"]+)['"];?$/gms)) {
    staticGraph(resolve(dirname(file), specifier as string), seen);
  }
  return seen;
}

describe('the built CLI', () => {
  it('loads commander only for help and usage errors, not for every command', () => {
    const graph = staticGraph(join(BUNDLE, 'main.js'));
    // What every command needs is in main.js itself.
    expect([...graph]).toEqual([join(BUNDLE, 'main.js')]);
    for (const file of graph) expect(readFileSync(file, 'utf8'), file).not.toContain(COMMANDER);
    expect(chunkFiles().some((file) => readFileSync(file, 'utf8').includes(COMMANDER))).toBe(true);
  });

  it('loads a command as a few files: main.js, the command, and what it shares with other commands', () => {
    const whoami = readdirSync(join(BUNDLE, 'chunks')).find((name) => name.startsWith('whoami-'));
    expect(whoami).toBeDefined();
    const graph = staticGraph(join(BUNDLE, 'chunks', whoami as string));
    expect(graph.has(join(BUNDLE, 'main.js'))).toBe(true);
    // Each ES module costs about half a millisecond to load; esbuild's splitting made this 12.
    expect(graph.size).toBeLessThanOrEqual(4);
  });

  it('carries zod inside the bundle: one chunk, not a hundred modules loaded one by one', () => {
    const files = [join(BUNDLE, 'main.js'), ...chunkFiles()];
    const importsZod = files.filter((file) =>
      /from ['"]zod['"]|import\(['"]zod['"]\)/.test(readFileSync(file, 'utf8')),
    );
    expect(importsZod).toEqual([]);
    expect(files.some((file) => readFileSync(file, 'utf8').includes('$ZodError'))).toBe(true);
  });
});
