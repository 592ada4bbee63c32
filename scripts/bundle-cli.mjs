#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts and everything it imports, commander included) into dist/cli-bundle/ with
// one chunk per lazily loaded command. One file to load instead of dozens halves the CLI's own startup cost;
// npm packages other than commander stay external (native modules, and loaded only by the commands using them).
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const bundled = new Set(['commander']);

// Chunk names carry content hashes: start empty so that stale chunks of earlier builds do not pile up.
rmSync('dist/cli-bundle', { recursive: true, force: true });
await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/cli-bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: Object.keys(pkg.dependencies).filter((name) => !bundled.has(name)),
  // commander is CommonJS: give its require() calls a real require inside the ES module bundle.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
