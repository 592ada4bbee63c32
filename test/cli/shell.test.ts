import { describe, expect, it } from 'vitest';
import { commandLine, shellWord } from '../../src/cli/shell.js';

describe('suggested command lines', () => {
  it('leaves plain words as they are and single-quotes the rest', () => {
    expect(shellWord('data/kv:pro')).toBe('data/kv:pro');
    expect(shellWord('http://127.0.0.1:4780')).toBe('http://127.0.0.1:4780');
    expect(shellWord('my shop')).toBe("'my shop'");
    expect(shellWord('$(rm -rf ~)')).toBe("'$(rm -rf ~)'");
    expect(shellWord("it's")).toBe("'it'\\''s'");
  });

  it('joins the quoted words', () => {
    expect(commandLine(['projects', 'init', 'my shop', '--json'])).toBe("projects init 'my shop' --json");
  });
});
