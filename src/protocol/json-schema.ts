import { z } from 'zod';
import { MONEY_SCHEMAS } from './money.js';
import { IDENTITY_SCHEMAS } from './oauth.js';
import { PUBLISHED_SCHEMAS } from './orchestrator.js';

/**
 * The JSON Schema files of the CLI ↔ orchestrator API (docs/schema/<Name>.json), generated from the
 * zod schemas the server and the CLI validate with, so the published documents cannot drift from the
 * code: `npm run docs:schema` writes them and a test fails when the committed copies are stale.
 */
export function orchestratorSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, schema] of Object.entries({
    ...PUBLISHED_SCHEMAS,
    ...MONEY_SCHEMAS,
    ...IDENTITY_SCHEMAS,
  })) {
    const document = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
    files.set(`${name}.json`, `${JSON.stringify({ $id: `${name}.json`, ...document }, null, 2)}\n`);
  }
  return files;
}
