#!/usr/bin/env node
// Rewrites the generated JSON Schema section of docs/provider-protocol.md from src/protocol/provider.ts
// (via the build). `npm run docs:provider` builds first; test/providers/docs.test.ts fails when the
// committed schemas are stale. (Markdown is not formatted by biome: biome.json leaves **/*.md alone.)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withSchemaSection } from '../dist/protocol/provider-docs.js';

const file = fileURLToPath(new URL('../docs/provider-protocol.md', import.meta.url));
writeFileSync(file, withSchemaSection(readFileSync(file, 'utf8')));
console.log('updated docs/provider-protocol.md');
