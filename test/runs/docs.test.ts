import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { orchestratorSchemaFiles } from '../../src/protocol/json-schema.js';

const dir = new URL('../../docs/schema/', import.meta.url);

describe('docs/schema', () => {
  it('holds exactly the JSON Schemas generated from the zod schemas (run `npm run docs:schema`)', () => {
    const generated = orchestratorSchemaFiles();
    expect(readdirSync(dir).sort()).toEqual([...generated.keys()].sort());
    for (const [name, text] of generated) expect(readFileSync(new URL(name, dir), 'utf8'), name).toBe(text);
  });

  it('is referenced from docs/protocol.md, one link per schema', () => {
    const doc = readFileSync(new URL('../protocol.md', dir), 'utf8');
    for (const name of orchestratorSchemaFiles().keys()) expect(doc, name).toContain(`schema/${name}`);
  });
});
