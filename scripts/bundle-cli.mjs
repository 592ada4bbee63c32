#!/usr/bin/env node
// Bundles the CLI (tsc's dist/cli/main.js and everything it imports, commander included) into
// dist/cli-bundle/: main.js holds what every command needs, and each lazily loaded command is a chunk holding
// only what main.js does not. npm packages other than commander stay external (native modules, and loaded
// only by the commands using them).
//
// Rollup rather than esbuild splits the chunks: esbuild makes a chunk of every set of entry points that share
// modules, so main.js became a list of imports and one command loaded a dozen small files, about half a
// millisecond each; rollup leaves in main.js what main.js already loads. esbuild still turns commander
// (CommonJS) into one ES module for it.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { rollup } from 'rollup';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const OUT = 'dist/cli-bundle';
const COMMANDER = 'dist/vendor/commander.js';

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

async function bundleCommander() {
  const { outputFiles } = await build({
    entryPoints: ['commander'],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    plugins: [lazyChildProcess],
    write: false,
    logLevel: 'warning',
  });
  // commander's require() calls (node: built-ins only) need a real require inside an ES module.
  const banner =
    "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);\n";
  mkdirSync('dist/vendor', { recursive: true });
  writeFileSync(COMMANDER, banner + outputFiles[0].text);
}

/**
 * Bundled rather than loaded from node_modules: commander (vendored above), and zod, whose hundred-odd
 * ES modules cost a command using it more to load one by one than everything else it does.
 */
const BUNDLED = { commander: COMMANDER, zod: fileURLToPath(import.meta.resolve('zod')) };

const isExternal = (id) =>
  id.startsWith('node:') ||
  builtinModules.includes(id) ||
  Object.keys(pkg.dependencies).some(
    (name) => !(name in BUNDLED) && (id === name || id.startsWith(`${name}/`)),
  );

await bundleCommander();
// Chunk names carry content hashes: start empty so that stale chunks of earlier builds do not pile up.
rmSync(OUT, { recursive: true, force: true });
const bundle = await rollup({
  input: { main: 'dist/cli/main.js' },
  // Commands import what they share with main.js from main.js itself, instead of from a copy in a chunk.
  preserveEntrySignatures: 'allow-extension',
  external: isExternal,
  plugins: [{ name: 'bundled-packages', resolveId: (id) => BUNDLED[id] ?? null }],
  onwarn(warning) {
    // A bundled package's own habits (zod: circular imports, misplaced `@__PURE__` comments) are its own.
    if ((warning.id ?? warning.ids?.[0] ?? '').includes('node_modules')) return;
    throw new Error(`rollup: ${warning.message}`);
  },
});
await bundle.write({ dir: OUT, format: 'es', chunkFileNames: 'chunks/[name]-[hash].js' });
await bundle.close();
