import { describe, expect, it } from 'vitest';
import { createIgnoreMatcher } from '../../src/core/ignore.js';

describe('gitignore-style rules', () => {
  const ignored = createIgnoreMatcher([
    '# comment',
    '*.log',
    '!important.log',
    '/dist',
    'cache/',
    'docs/**/draft-*.md',
    'a?c.txt',
    '[Tt]humbs.db',
    '\\#literal',
  ]);

  it.each([
    ['debug.log', false, true],
    ['nested/deep/debug.log', false, true],
    ['important.log', false, false],
    ['dist', true, true],
    ['src/dist', true, false],
    ['cache', true, true],
    ['cache', false, false],
    ['src/cache', true, true],
    ['docs/draft-1.md', false, true],
    ['docs/a/b/draft-2.md', false, true],
    ['docs/final.md', false, false],
    ['abc.txt', false, true],
    ['a/c.txt', false, false],
    ['thumbs.db', false, true],
    ['Thumbs.db', false, true],
    ['#literal', false, true],
    ['index.html', false, false],
  ])('%s (directory: %s) ignored: %s', (path, isDirectory, expected) => {
    expect(ignored(path, isDirectory)).toBe(expected);
  });

  it('lets the last matching rule win', () => {
    const matcher = createIgnoreMatcher(['*.txt', '!keep.txt', 'keep.txt']);
    expect(matcher('keep.txt', false)).toBe(true);
    expect(createIgnoreMatcher(['*.txt', '!keep.txt'])('keep.txt', false)).toBe(false);
  });
});
