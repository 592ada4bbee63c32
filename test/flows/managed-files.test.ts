import { describe, expect, it } from 'vitest';
import {
  BLOCK_END,
  BLOCK_START,
  upsertManagedBlock,
  withGitignoreEntries,
} from '../../src/core/managed-files.js';

describe('managed block', () => {
  it('creates the file with only the block', () => {
    expect(upsertManagedBlock(undefined, 'hello')).toBe(`${BLOCK_START}\nhello\n${BLOCK_END}\n`);
  });

  it('appends to what the user wrote, then replaces in place on rerun', () => {
    const first = upsertManagedBlock('# My agents\n\nBe nice.\n', 'v1');
    expect(first.startsWith('# My agents\n\nBe nice.\n\n')).toBe(true);
    const edited = `${first}\n## Mine, after\n`;
    const second = upsertManagedBlock(edited, 'v2');
    expect(second).toBe(edited.replace('v1', 'v2'));
    expect(second.split(BLOCK_START)).toHaveLength(2);
    expect(upsertManagedBlock(second, 'v2')).toBe(second);
  });
});

describe('.gitignore entries', () => {
  it('adds only what is missing, once', () => {
    const once = withGitignoreEntries('node_modules\n/.projects/\n', ['.projects/', '.env*']);
    expect(once).toBe(
      'node_modules\n/.projects/\n# projects: local state and secrets, never committed\n.env*\n',
    );
    expect(withGitignoreEntries(once, ['.projects/', '.env*'])).toBe(once);
  });

  it('starts a new file', () => {
    expect(withGitignoreEntries(undefined, ['.env*'])).toBe(
      '# projects: local state and secrets, never committed\n.env*\n',
    );
  });
});
