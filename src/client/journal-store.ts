import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DerivedIdempotencyKey } from '../core/idempotency.js';
import {
  beginStep,
  type CommandIdentity,
  completeStep,
  failStep,
  findStep,
  finishJournal,
  type Journal,
  journalKey,
  newJournal,
  parseJournal,
  type StepError,
} from '../core/journal.js';
import { syncDirectory } from '../files.js';
import { ProjectsError } from '../protocol/errors.js';

/**
 * The step journal on disk: `<project>/.projects/journal/<jrn_…>.json`, written atomically (temp file,
 * fsync, rename, fsync of the directory) so that a SIGKILL at any instant leaves either the previous
 * or the next version, never a torn one. A lock file keeps two copies of the same command from
 * running at once; a lock left by a killed process is taken over.
 */
export function journalDir(projectDir: string): string {
  return join(projectDir, '.projects', 'journal');
}

/**
 * How long a finished journal still answers a rerun of the same command with its recorded results,
 * matching the orchestrator's 24 h idempotency-key retention: an agent that retries a command that
 * in fact succeeded gets the first outcome back instead of paying twice.
 */
export const JOURNAL_RETENTION_MS = 24 * 60 * 60 * 1000;

export interface StepSpec<T, R> {
  /** Stable id of the plan step, e.g. `2:registrar:domain:superseal.club`. */
  id: string;
  /** The step's request as it determines the purchase (no fresh request_id): hashed, never stored. */
  body: unknown;
  /** What to keep of a success in the journal: never a secret (default: nothing). */
  summarize?: (value: T) => R;
}

export type StepOutcome<T, R> =
  | { replayed: false; value: T; recorded: R | null }
  /** The step was done by an earlier, interrupted run of this command: its summary, no new call. */
  | { replayed: true; recorded: R | null };

export class JournalSession {
  private constructor(
    private journal: Journal,
    private readonly file: string,
    private readonly lockFile: string,
    /** True when an earlier run of the same command left this journal: interrupted, or finished < 24 h ago. */
    readonly resumed: boolean,
    private readonly now: () => number,
  ) {}

  /**
   * Opens the journal of `identity` in `dir`: an interrupted one, or one finished within the
   * retention window (its steps then replay their recorded results), otherwise a fresh one.
   */
  static async open(
    dir: string,
    identity: CommandIdentity,
    now: () => number = Date.now,
  ): Promise<JournalSession> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const key = journalKey(identity);
    const file = join(dir, `${key}.json`);
    const lockFile = join(dir, `${key}.lock`);
    await acquireLock(lockFile);
    try {
      await removeStaleTemps(dir, key);
      const previous = await readJournal(file);
      const resumed = previous !== undefined && isResumable(previous, now());
      const journal = resumed ? previous : newJournal(identity, now());
      const session = new JournalSession(journal, file, lockFile, resumed, now);
      if (!resumed) await session.save();
      return session;
    } catch (error) {
      await rm(lockFile, { force: true });
      throw error;
    }
  }

  get invocationId(): string {
    return this.journal.invocation_id;
  }

  /** A copy of the journal as it is on disk. */
  snapshot(): Journal {
    return structuredClone(this.journal);
  }

  /**
   * Runs one step exactly once across crashes and reruns: journaled as started (durably) before
   * `act` runs, with the idempotency key `act` must send; journaled as done or failed after.
   */
  async step<T, R = null>(
    spec: StepSpec<T, R>,
    act: (key: DerivedIdempotencyKey) => Promise<T>,
  ): Promise<StepOutcome<T, R>> {
    const earlier = findStep(this.journal, spec.id);
    if (earlier?.status === 'done') return { replayed: true, recorded: (earlier.result ?? null) as R | null };
    await this.update(beginStep(this.journal, spec.id, spec.body, this.now()));
    const started = findStep(this.journal, spec.id)!;
    let value: T;
    try {
      value = await act({ key: started.idempotency_key, bodyHash: started.body_hash });
    } catch (error) {
      await this.update(failStep(this.journal, spec.id, describeError(error), this.now()));
      throw error;
    }
    const recorded = spec.summarize ? spec.summarize(value) : null;
    await this.update(completeStep(this.journal, spec.id, recorded, this.now()));
    return { replayed: false, value, recorded };
  }

  /** Marks the command complete and releases the lock. */
  async finish(): Promise<void> {
    await this.update(finishJournal(this.journal, this.now()));
    await this.close();
  }

  /** Releases the lock, leaving the journal open for a rerun to resume. */
  async close(): Promise<void> {
    await rm(this.lockFile, { force: true });
  }

  private async update(next: Journal): Promise<void> {
    this.journal = next;
    await this.save();
  }

  private save(): Promise<void> {
    return writeFileAtomic(this.file, `${JSON.stringify(this.journal, null, 2)}\n`);
  }
}

/** Write to a temp file in the same directory, fsync it, rename it over the target, fsync the directory. */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const temp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  await syncDirectory(dirname(file));
}

function isResumable(journal: Journal, now: number): boolean {
  return journal.status === 'open' || now - Date.parse(journal.updated_at) < JOURNAL_RETENTION_MS;
}

async function readJournal(file: string): Promise<Journal | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseJournal(text, file);
}

/** Temp files of writes a kill interrupted: never renamed, so never part of the journal. */
async function removeStaleTemps(dir: string, key: string): Promise<void> {
  const names = await readdir(dir);
  const temps = names.filter((name) => name.startsWith(`${key}.json.`) && name.endsWith('.tmp'));
  await Promise.all(temps.map((name) => rm(join(dir, name), { force: true })));
}

async function acquireLock(lockFile: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
    if (isAlive(holder)) throw alreadyRunning(holder);
    // The holder was killed (or never wrote its pid): its lock protects nothing any more.
    await rm(lockFile, { force: true });
  }
  throw alreadyRunning(undefined);
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function alreadyRunning(pid: number | undefined): ProjectsError {
  const who = pid ? ` (pid ${pid})` : '';
  return new ProjectsError(
    'IDEMPOTENCY_CONFLICT',
    `the same command is already running${who}; wait for it to end`,
    {
      details: { in_progress: true, retry_after: 2, ...(pid ? { pid } : {}) },
    },
  );
}

function describeError(error: unknown): StepError {
  if (!(error instanceof ProjectsError)) {
    return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
  }
  const status = error.httpStatus ?? error.details?.http_status;
  return {
    code: error.code,
    message: error.message,
    ...(typeof status === 'number' ? { http_status: status } : {}),
  };
}
