#!/usr/bin/env node
// Writes docs/schema/*.json from the zod schemas in src/protocol/orchestrator.ts (via the build).
// `npm run docs:schema` builds first; test/runs/docs.test.ts fails when the committed files are stale.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { orchestratorSchemaFiles } from '../dist/protocol/json-schema.js';

const dir = new URL('../docs/schema/', import.meta.url);
mkdirSync(dir, { recursive: true });
const files = orchestratorSchemaFiles();
for (const stale of readdirSync(dir)) if (!files.has(stale)) rmSync(new URL(stale, dir));
for (const [name, text] of files) writeFileSync(new URL(name, dir), text);
console.log(`wrote ${files.size} schemas to docs/schema/`);
