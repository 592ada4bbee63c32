/**
 * Edits of files the user owns (AGENTS.md, .gitignore, .env) that the CLI may repeat any number of times:
 * the CLI's part is found and replaced in place, everything the user wrote around it is kept.
 */
export const BLOCK_START = '<!-- projects:begin (managed by `projects init`; edits inside are replaced) -->';
export const BLOCK_END = '<!-- projects:end -->';

/** `existing` with the managed block replaced in place, or appended when it has none. */
export function upsertManagedBlock(existing: string | undefined, body: string): string {
  const block = `${BLOCK_START}\n${body.trim()}\n${BLOCK_END}`;
  if (!existing?.trim()) return `${block}\n`;
  const start = existing.indexOf(BLOCK_START);
  const end = start === -1 ? -1 : existing.indexOf(BLOCK_END, start);
  if (start !== -1 && end !== -1) {
    return `${existing.slice(0, start)}${block}${existing.slice(end + BLOCK_END.length)}`;
  }
  return `${existing.replace(/\n*$/, '')}\n\n${block}\n`;
}

/** `existing` plus whichever of `entries` it lacks (compared line by line, ignoring a leading `/`). */
export function withGitignoreEntries(existing: string | undefined, entries: readonly string[]): string {
  const text = existing ?? '';
  const present = new Set(
    text
      .split(/\r?\n/)
      .map((line) => line.trim().replace(/^\//, ''))
      .filter(Boolean),
  );
  const missing = entries.filter((entry) => !present.has(entry.replace(/^\//, '')));
  if (missing.length === 0) return text;
  const prefix = text === '' ? '' : `${text.replace(/\n*$/, '')}\n`;
  return `${prefix}# projects: local state and secrets, never committed\n${missing.join('\n')}\n`;
}

const ENV_ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/;

/**
 * `existing` .env text with `assignments` (name → its whole `NAME=value` line) set: a line assigning one of
 * those names is replaced in place, the names it lacks are appended under `header`, and every other line —
 * the user's own variables and comments — is kept.
 */
export function withEnvAssignments(
  existing: string | undefined,
  assignments: ReadonlyMap<string, string>,
  header: string,
): string {
  const lines = existing ? existing.replace(/\n*$/, '').split('\n') : [];
  const seen = new Set<string>();
  const kept = lines.map((line) => {
    const name = ENV_ASSIGNMENT.exec(line)?.[1];
    const replacement = name === undefined ? undefined : assignments.get(name);
    if (name === undefined || replacement === undefined) return line;
    seen.add(name);
    return replacement;
  });
  const missing = [...assignments].filter(([name]) => !seen.has(name)).map(([, line]) => line);
  const appended = missing.length && !lines.includes(header) ? [header, ...missing] : missing;
  return `${[...kept, ...appended].join('\n')}\n`;
}
