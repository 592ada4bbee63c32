import { describe, expect, it } from 'vitest';
import {
  BLOCK_END,
  BLOCK_START,
  upsertManagedBlock,
  withEnvAssignments,
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

describe('.env assignments', () => {
  const header = '# ours';
  const ours = new Map([
    ['KV_URL', 'KV_URL="https://new"'],
    ['KV_TOKEN', 'KV_TOKEN="new"'],
  ]);

  it('writes a new file with the header and the assignments', () => {
    expect(withEnvAssignments(undefined, ours, header)).toBe(
      '# ours\nKV_URL="https://new"\nKV_TOKEN="new"\n',
    );
  });

  it("replaces its own names in place and keeps the user's lines", () => {
    const mine = '# my settings\nDEBUG=1\nexport KV_URL=old\nOTHER="x=y"\n';
    const merged = withEnvAssignments(mine, ours, header);
    expect(merged).toBe(
      '# my settings\nDEBUG=1\nKV_URL="https://new"\nOTHER="x=y"\n# ours\nKV_TOKEN="new"\n',
    );
    // A second pull changes nothing more.
    expect(withEnvAssignments(merged, ours, header)).toBe(merged);
  });
});
