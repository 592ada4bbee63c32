import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASE_ACCESS, type Mark, marksIn, sourceFiles } from '../helpers/source-boundary.js';

/**
 * The providers' storage boundary: SQL and the database handle live only in store modules — files named
 * `store.ts` under src/sandbox/providers/ (framework/store.ts, edge/store.ts, data/store.ts, …). Handlers,
 * services and pages call their named methods, so a platform running this provider code on another database
 * replaces the store modules only. The edge deploy module follows it too (deploy/store.ts).
 */
const PROVIDERS = 'src/sandbox/providers';
const STORE_FILE = 'store.ts';

const FORBIDDEN: Mark[] = [...DATABASE_ACCESS, ['uses the raw database', /\b(ctx|rt|runtime|storage)\.db\b/]];
const violations = (path: string) => marksIn(path, FORBIDDEN);

const all = sourceFiles(PROVIDERS);
const isStore = (path: string) => path.endsWith(`/${STORE_FILE}`);
const checked = all.filter((path) => !isStore(path));

describe('the providers storage boundary', () => {
  it('finds the files it checks and the store modules', () => {
    expect(checked.length).toBeGreaterThan(25);
    expect(all.filter(isStore).map((path) => relative(PROVIDERS, path))).toEqual(
      expect.arrayContaining([
        'framework/store.ts',
        'edge/store.ts',
        'edge/deploy/store.ts',
        'data/store.ts',
      ]),
    );
  });

  it('keeps SQL and the database handle inside store modules', () => {
    const found = checked
      .map((path) => ({ file: relative(PROVIDERS, path), violations: violations(path) }))
      .filter((entry) => entry.violations.length > 0);
    expect(found).toEqual([]);
  });

  it('recognises each kind of violation', () => {
    const samples = [
      "import Database from 'better-sqlite3';",
      'const rows = ctx.db;',
      'rt.db.prepare(sql)',
      'this.storage.db',
      "db.prepare('anything')",
      "this.db.exec('BEGIN')",
      'db.transaction(() => {})',
      `const sql = \`SELECT 1 FROM \${table} WHERE name = ?\`;`,
      `\`DELETE FROM \${rt.table('kv')} WHERE resource_id = ?\``,
      `\`UPDATE \${rt.table('links')} SET used_at = ?\``,
      'INSERT OR IGNORE INTO signatures (signature, t) VALUES (?, ?)',
    ];
    for (const sample of samples) {
      expect(
        FORBIDDEN.some(([, pattern]) => pattern.test(sample)),
        sample,
      ).toBe(true);
    }
    const innocent = [
      '/^(kv_[0-9a-f]{32})$/.exec(value)',
      'store.transaction(() => {})',
      'rt.store.useLink(hash)',
    ];
    for (const sample of innocent)
      expect(
        FORBIDDEN.some(([, pattern]) => pattern.test(sample)),
        sample,
      ).toBe(false);
  });
});
