/**
 * One word of a command line as a POSIX shell reads it: plain words as they are, anything else in single
 * quotes. For the commands the CLI suggests in `next`, which humans and agents paste into a shell.
 */
export function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A command line from its words, each quoted as needed. */
export function commandLine(words: readonly string[]): string {
  return words.map(shellWord).join(' ');
}
