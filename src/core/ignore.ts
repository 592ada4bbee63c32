/**
 * `.gitignore`-style matching (the subset every tool agrees on): `#` comments, `!` negation, a trailing
 * `/` for directories only, patterns with a `/` anchored at the root and others matched at any depth,
 * `*`, `?`, `[…]` and `**`. The last matching pattern wins. Callers skip ignored directories while walking,
 * which gives gitignore's rule that nothing inside an excluded directory can be re-included.
 */

interface Rule {
  regex: RegExp;
  negate: boolean;
  directoryOnly: boolean;
}

function escapeRegex(text: string): string {
  return text.replace(/[.+^${}()|[\]\\*?]/g, '\\$&');
}

/** Translates one glob (without its `!` and trailing `/`) into a regular expression source. */
export function globToRegexSource(glob: string): string {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*' && glob[i + 1] === '*') {
      const atSegmentStart = i === 0 || glob[i - 1] === '/';
      if (atSegmentStart && glob[i + 2] === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else if (atSegmentStart && i + 2 === glob.length) {
        source += '.*';
        i += 1;
      } else {
        source += '[^/]*';
        i += 1;
      }
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '[' && glob.indexOf(']', i + 2) > 0) {
      const end = glob.indexOf(']', i + 2);
      const body = glob.slice(i + 1, end);
      source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`.replace(/\\/g, '\\\\');
      i = end;
    } else if (char === '\\' && i + 1 < glob.length) {
      source += escapeRegex(glob[++i]!);
    } else {
      source += escapeRegex(char);
    }
  }
  return source;
}

function parseRule(line: string): Rule | undefined {
  let pattern = line.replace(/(?<!\\)\s+$/, '');
  if (pattern === '' || pattern.startsWith('#')) return undefined;
  const negate = pattern.startsWith('!');
  if (negate) pattern = pattern.slice(1);
  else if (pattern.startsWith('\\!') || pattern.startsWith('\\#')) pattern = pattern.slice(1);
  const directoryOnly = pattern.endsWith('/');
  if (directoryOnly) pattern = pattern.slice(0, -1);
  if (pattern === '') return undefined;
  const anchored = pattern.includes('/');
  if (pattern.startsWith('/')) pattern = pattern.slice(1);
  const prefix = anchored ? '^' : '^(?:.*/)?';
  return { regex: new RegExp(`${prefix}${globToRegexSource(pattern)}$`), negate, directoryOnly };
}

export type IgnoreMatcher = (path: string, isDirectory: boolean) => boolean;

/** Builds a matcher for POSIX paths relative to the root (`src/app.js`, no leading `./`). */
export function createIgnoreMatcher(lines: readonly string[]): IgnoreMatcher {
  const rules = lines.map(parseRule).filter((rule): rule is Rule => rule !== undefined);
  return (path, isDirectory) => {
    let ignored = false;
    for (const rule of rules) {
      if (rule.directoryOnly && !isDirectory) continue;
      if (rule.negate === ignored && rule.regex.test(path)) ignored = !rule.negate;
    }
    return ignored;
  };
}

/** Never deployed, whatever the ignore files say: VCS data, dependencies, local state and secrets. */
export const ALWAYS_IGNORED: readonly string[] = [
  '.git/',
  '.hg/',
  '.svn/',
  'node_modules/',
  '.projects/',
  '.env',
  '.env.*',
  '.DS_Store',
];
