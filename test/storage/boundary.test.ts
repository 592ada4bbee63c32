import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASE_ACCESS, type Mark, marksIn, sourceFiles } from '../helpers/source-boundary.js';

/**
 * The repository layer's boundary (issue 3): SQL and the SQLite driver live only in the SQLite
 * implementation of the orchestrator's repositories (src/sandbox/orchestrator/storage/sqlite/). Everything
 * else in the orchestrator reaches storage through `ctx.storage` and never sees the database.
 */
const ORCHESTRATOR = 'src/sandbox/orchestrator';
const IMPLEMENTATION = `${ORCHESTRATOR}/storage/sqlite/`;

const FORBIDDEN: Mark[] = [
  ...DATABASE_ACCESS,
  ['imports the raw database module', /from ['"][./]*\/db\.js['"]/],
  ['uses the raw database of the context', /\bctx\.db\b|\bdeps\.ctx\.db\b/],
];
const violations = (path: string) => marksIn(path, FORBIDDEN);

const outside = sourceFiles(ORCHESTRATOR).filter((path) => !path.startsWith(IMPLEMENTATION));
const name = (path: string) => relative(ORCHESTRATOR, path);

describe('the orchestrator storage boundary', () => {
  it('finds the files it checks', () => {
    expect(outside.length).toBeGreaterThan(40);
    expect(sourceFiles(IMPLEMENTATION).length).toBeGreaterThan(0);
  });

  it('keeps SQL and the SQLite driver inside the SQLite repository implementation', () => {
    const found = outside
      .map((path) => ({ file: name(path), violations: violations(path) }))
      .filter((entry) => entry.violations.length > 0);
    expect(found).toEqual([]);
  });

  it('recognises each kind of violation', () => {
    const samples = [
      "import Database from 'better-sqlite3';",
      "import type { Db } from '../../db.js';",
      'const rows = ctx.db;',
      "db.prepare('anything')",
      "this.db.exec('BEGIN')",
      'db.transaction(() => {})',
      'const sql = `UPDATE money_tokens SET status = 1`;',
    ];
    for (const sample of samples) {
      expect(
        FORBIDDEN.some(([, pattern]) => pattern.test(sample)),
        sample,
      ).toBe(true);
    }
    expect(FORBIDDEN.some(([, pattern]) => pattern.test('/^(spt_[0-9a-f]{32})$/.exec(value)'))).toBe(false);
  });
});
