import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROVIDER_ENDPOINTS } from '../../src/protocol/provider.js';
import { GENERATED_BEGIN, GENERATED_END, providerSchemaDocuments } from '../../src/protocol/provider-docs.js';

const doc = readFileSync(new URL('../../docs/provider-protocol.md', import.meta.url), 'utf8');

describe('docs/provider-protocol.md', () => {
  it('holds the JSON Schema of every request and answer, as generated from the zod schemas', () => {
    const section = doc.slice(doc.indexOf(GENERATED_BEGIN), doc.indexOf(GENERATED_END));
    const blocks = [...section.matchAll(/```json\n([\s\S]*?)\n```/g)].map((match) => JSON.parse(match[1]!));
    // Compared as data: biome formats the JSON inside the markdown. Stale? Run `npm run docs:provider`.
    expect(blocks).toEqual(providerSchemaDocuments());
  });

  it('documents every endpoint', () => {
    for (const endpoint of PROVIDER_ENDPOINTS)
      expect(doc).toContain(`\`${endpoint.method} ${endpoint.path}\``);
  });
});
