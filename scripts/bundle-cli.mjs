#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts and everything it imports, commander included) into dist/cli-bundle/ with
// one chunk per lazily loaded command. One file to load instead of dozens halves the CLI's own startup cost;
// npm packages other than commander stay external (native modules, and loaded only by the commands using them).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const bundled = new Set(['commander']);

/**
 * commander requires node:child_process at load time for executable subcommands, which this CLI does not
 * use; loading it (and the net and dgram modules it pulls in) only on a first spawn saves help a few ms.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(plugin) {
    plugin.onLoad({ filter: /commander[\\/]lib[\\/]command\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!source.includes(eager)) throw new Error(`${path} no longer loads child_process as expected`);
      const lazy =
        "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };";
      return { contents: source.replace(eager, lazy), loader: 'js' };
    });
  },
};

// commander is CommonJS: the chunk holding esbuild's require shim needs a real require inside the ES module
// bundle. Only that chunk gets one, so the other chunks do not each create a require at load.
const REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);\n";

// Chunk names carry content hashes: start empty so that stale chunks of earlier builds do not pile up.
rmSync('dist/cli-bundle', { recursive: true, force: true });
const { outputFiles } = await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/cli-bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: Object.keys(pkg.dependencies).filter((name) => !bundled.has(name)),
  plugins: [lazyChildProcess],
  write: false,
  logLevel: 'warning',
});
for (const file of outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  const usesRequire = file.text.includes('typeof require');
  writeFileSync(file.path, usesRequire ? REQUIRE_BANNER + file.text : file.text);
}
