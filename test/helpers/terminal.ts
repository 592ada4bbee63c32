import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { BIN } from './cli.js';

export interface TerminalSession {
  /** Everything the terminal showed so far, escapes stripped. */
  screen(): string;
  /** Resolves when the screen (after `from`) matches `pattern`; fails with the screen after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Types text and presses Enter. */
  answer(text: string): void;
  /** The exit code of the command. */
  exit: Promise<number>;
}

/**
 * Runs the built binary inside a real pseudo-terminal (util-linux `script`), as a developer would: stdin,
 * stdout and stderr are all a TTY, so the CLI prompts. The environment is the one given plus PATH and TERM.
 */
export function runAtTerminal(
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd: string },
): TerminalSession {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  const child: ChildProcessWithoutNullStreams = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, TERM: 'xterm-256color', ...options.env },
  });
  let raw = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    raw += chunk.toString();
    for (const check of waiters) check();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exit = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  // Escapes stripped, so that tests match on the text a human reads.
  const screen = () => stripVTControlCharacters(raw).replace(/\r/g, '');
  let consumed = 0;
  return {
    screen,
    exit,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(screen().slice(consumed));
          if (!match) return;
          consumed += match.index + match[0].length;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the terminal never showed ${pattern}; it shows:\n${screen()}`));
        }, timeoutMs);
        waiters.add(check);
        void exit.then(() => setTimeout(check, 0));
        check();
      });
    },
    answer(text) {
      child.stdin.write(`${text}\r`);
    },
  };
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
