import { describe, expect, it } from 'vitest';
import { DeployPath } from '../../src/protocol/deploy.js';

describe('deployment paths', () => {
  it.each([
    'index.html',
    'assets/app.css',
    '.well-known/security.txt',
    'a/.hidden/b',
    'dots.../x',
    '...',
    'a/..b/c',
  ])('accepts %j', (path) => {
    expect(DeployPath.safeParse(path).success).toBe(true);
  });

  it.each(['', '/etc/passwd', 'a/', 'a//b', '.', '..', './a', 'a/./b', 'a/../../b', 'a/..', 'a\\b', 'a\0b'])(
    'refuses %j',
    (path) => {
      expect(DeployPath.safeParse(path).success).toBe(false);
    },
  );
});
