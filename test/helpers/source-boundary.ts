import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * For the architecture's boundary tests (test/core, test/storage, test/providers): the repository's
 * TypeScript sources as text, and the marks of code that talks to the database itself.
 */
const ROOT = join(import.meta.dirname, '../..');

/** The .ts files below `dir` (relative to the repository root), as root-relative paths. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

export function readSource(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** A named pattern: what a file does when its text matches. */
export type Mark = [what: string, pattern: RegExp];

/** Direct database access: the SQLite driver, statements, SQL text, driver transactions. */
export const DATABASE_ACCESS: Mark[] = [
  ['imports the SQLite driver', /from ['"]better-sqlite3['"]/],
  ['prepares a statement', /\.prepare\(\s*[`'"]|\bdb\.prepare\(/],
  ['executes SQL text', /\.exec\(\s*[`'"]/],
  ['opens a driver transaction', /\bdb\s*\.transaction\(/],
  [
    'contains SQL',
    /\b(SELECT\s+[\w*(]|INSERT\s+(OR\s+\w+\s+)?INTO|DELETE\s+FROM|CREATE\s+(TABLE|INDEX)|ALTER\s+TABLE|UPDATE\s+[\w${}()'.]+\s+SET)\b/,
  ],
];

/** What the file at `path` does of `marks`. */
export function marksIn(path: string, marks: Mark[]): string[] {
  const text = readSource(path);
  return marks.filter(([, pattern]) => pattern.test(text)).map(([what]) => what);
}
