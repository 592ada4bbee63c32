import type { Redactor } from '../core/redact.js';
import {
  type ErrorCode,
  EXIT,
  type ExitCode,
  type NextStep,
  type ProjectsError,
} from '../protocol/errors.js';
import type { IOStreams } from './io.js';
import { loadStyle, type Style } from './style.js';

/** What a command's run function returns on success. */
export interface CommandResult<T = unknown> {
  /** The payload: `data` in the JSON envelope. */
  data: T;
  /** The human rendering of the payload, written to stdout. Omit to print nothing on stdout. */
  human?: (style: Style) => string;
  warnings?: string[];
  next?: NextStep[];
  /**
   * Secrets this command hands out on purpose (a token shown once). They are exempt from redaction in
   * the stdout payload only; stderr and debug output still redact them.
   */
  reveal?: string[];
  /** A non-zero exit code for an `ok` answer that still needs action (e.g. a pending login). */
  exitCode?: ExitCode;
}

export interface OutputOptions {
  json: boolean;
  /** Colour on stdout / stderr. */
  color: { stdout: boolean; stderr: boolean };
  debug: boolean;
}

export interface Task {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
}

/**
 * The one output layer every command goes through (DESIGN.md §5). In JSON mode stdout holds exactly one
 * envelope; in human mode stdout holds only the payload and everything else goes to stderr. Every string
 * passes through the redactor on its way out.
 */
export class Output {
  command = 'projects';
  private readonly warnings: string[] = [];
  private emitted = false;

  constructor(
    private readonly io: IOStreams,
    private readonly redactor: Redactor,
    readonly options: OutputOptions,
  ) {}

  /** A line of information for the human, on stderr (never on stdout, never in the envelope). */
  info(message: string): void {
    this.writeErr(`${message}\n`);
  }

  /** A warning: on stderr for humans, and in the envelope's `warnings`. */
  warn(message: string): void {
    this.warnings.push(message);
    if (!this.options.json) this.writeErr(`warning: ${message}\n`);
  }

  debug(message: string): void {
    if (this.options.debug) this.writeErr(`debug: ${message}\n`);
  }

  /** A spinner on a TTY stderr in human mode; silent everywhere else. */
  async task(text: string): Promise<Task> {
    if (this.options.json || !this.io.stderrIsTTY) return { update() {}, succeed() {}, fail() {} };
    const { default: ora } = await import('ora');
    const spinner = ora({ text, stream: this.io.stderr, color: 'cyan', isEnabled: true }).start();
    return {
      update: (next) => {
        spinner.text = this.redactor.redact(next);
      },
      succeed: (done) => spinner.succeed(done === undefined ? undefined : this.redactor.redact(done)),
      fail: (done) => spinner.fail(done === undefined ? undefined : this.redactor.redact(done)),
    };
  }

  async success(result: CommandResult): Promise<ExitCode> {
    this.guardSingleEmission();
    const allowed = new Set(result.reveal ?? []);
    const warnings = [...this.warnings, ...(result.warnings ?? [])];
    const next = result.next ?? [];
    if (this.options.json) {
      this.writeEnvelope(
        { ok: true, command: this.command, data: result.data ?? null, warnings, next },
        allowed,
      );
    } else {
      if (result.human) {
        const text = result.human(await loadStyle(this.options.color.stdout));
        if (text) this.io.stdout.write(`${this.redactor.redact(text, allowed).replace(/\n?$/, '\n')}`);
      }
      for (const warning of result.warnings ?? []) this.writeErr(`warning: ${warning}\n`);
      await this.writeNextSteps(next);
    }
    return result.exitCode ?? EXIT.ok;
  }

  async failure(error: ProjectsError): Promise<ExitCode> {
    this.guardSingleEmission();
    if (this.options.json) {
      const body: { code: ErrorCode; message: string; details?: Record<string, unknown> } = {
        code: error.code,
        message: error.message,
      };
      if (error.details) body.details = error.details;
      this.writeEnvelope({ ok: false, command: this.command, error: body, next: error.next });
    } else {
      const style = await loadStyle(this.options.color.stderr);
      this.writeErr(`${style.red('Error:')} ${error.message} ${style.dim(`(${error.code})`)}\n`);
      await this.writeNextSteps(error.next);
    }
    if (this.options.debug && error.cause instanceof Error && error.cause.stack) {
      this.writeErr(`debug: caused by ${error.cause.stack}\n`);
    }
    return error.exitCode;
  }

  private async writeNextSteps(next: NextStep[]): Promise<void> {
    if (next.length === 0) return;
    const style = await loadStyle(this.options.color.stderr);
    const lines = next.map((step) => `  ${style.cyan(step.command)}  ${style.dim(`# ${step.why}`)}`);
    this.writeErr(`\nNext:\n${lines.join('\n')}\n`);
  }

  private writeEnvelope(envelope: Record<string, unknown>, allowed?: ReadonlySet<string>): void {
    this.io.stdout.write(`${JSON.stringify(this.redactor.redactDeep(envelope, allowed))}\n`);
  }

  private writeErr(text: string): void {
    this.io.stderr.write(this.redactor.redact(text));
  }

  private guardSingleEmission(): void {
    if (this.emitted) throw new Error('a command emitted its result twice');
    this.emitted = true;
  }
}
