import { PassThrough, type Readable, type Writable } from 'node:stream';

/**
 * The process's streams and what they are connected to (the `gh` IOStreams pattern). Commands never touch
 * `process.stdout` directly, so tests can hand them fake streams that claim to be, or not to be, terminals.
 */
export interface IOStreams {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Terminal width for tables; 80 when unknown. */
  columns: number;
}

export function systemIO(): IOStreams {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: Boolean(process.stdin.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    columns: process.stdout.columns || 80,
  };
}

export interface TestIO extends IOStreams {
  /** Everything written to stdout so far. */
  out(): string;
  /** Everything written to stderr so far. */
  err(): string;
  /** Feeds a line to stdin (as if typed). */
  type(line: string): void;
}

/** Fake streams for tests: `tty: true` pretends all three are terminals. */
export function testIO(options: { tty?: boolean; columns?: number } = {}): TestIO {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const tty = options.tty ?? false;
  return {
    stdin,
    stdout,
    stderr,
    stdinIsTTY: tty,
    stdoutIsTTY: tty,
    stderrIsTTY: tty,
    columns: options.columns ?? 100,
    out: () => out,
    err: () => err,
    type: (line) => stdin.write(`${line}\n`),
  };
}
