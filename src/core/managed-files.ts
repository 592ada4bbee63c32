/**
 * Edits of files the user owns (AGENTS.md, .gitignore) that `projects init` may repeat any number of
 * times: the CLI's part is found and replaced in place, everything the user wrote around it is kept.
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
