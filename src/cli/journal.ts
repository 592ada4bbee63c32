import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { canonicalHash } from '../core/canonical-json.js';
import { idempotencyKeyFor } from '../core/idempotency.js';
import { ProjectsError } from '../protocol/errors.js';
import { readJsonFile, writeJsonFile } from './local-state.js';

/**
 * The provisioning journal (`.projects/journal.json`), written before each billable step acts (S3). It keeps
 * the step's idempotency key, so that a rerun — after a crash, a gate, or just again — sends the same key
 * and the orchestrator answers the first result instead of buying twice.
 */
export interface JournalEntry {
  step: string;
  /** The run whose key this is: PROJECTS_RUN_ID at the first attempt, or the invocation's own `inv_…`. */
  run_id: string;
  idempotency_key: string;
  /** What the step is for (service, name, configuration): a rerun for something else must not replay it. */
  intent_hash: string;
  status: 'started' | 'done';
  resource_id?: string;
  updated_at: string;
}

interface JournalFile {
  steps: Record<string, JournalEntry>;
}

export class Journal {
  private readonly file: string;

  constructor(stateDir: string) {
    this.file = join(stateDir, 'journal.json');
  }

  get(step: string): JournalEntry | undefined {
    return this.read().steps[step];
  }

  /**
   * The entry for `step`, created (and written) on first use. A finished step asked for with another
   * intent is a conflict: the project already has that resource, configured differently.
   */
  begin(step: string, projectId: string, intent: unknown, runId: string | undefined): JournalEntry {
    const intentHash = canonicalHash(intent);
    const found = this.get(step);
    if (found?.status === 'done' && found.intent_hash === intentHash) return found;
    if (found?.status === 'done' && found.intent_hash !== intentHash) {
      throw new ProjectsError(
        'IDEMPOTENCY_CONFLICT',
        `${step} was already provisioned with another configuration`,
        {
          details: { step, resource_id: found.resource_id },
          next: [{ command: 'projects status', why: 'see what the project has' }],
        },
      );
    }
    if (found?.status === 'started') return found;
    return this.start(step, projectId, intentHash, runId);
  }

  /** A fresh entry for `step` (a new key): for a first attempt, or when what it made was removed since. */
  start(step: string, projectId: string, intentHash: string, runId: string | undefined): JournalEntry {
    const run = runId ?? `inv_${randomBytes(12).toString('hex')}`;
    const entry: JournalEntry = {
      step,
      run_id: run,
      idempotency_key: idempotencyKeyFor({ projectId, runId: run, step }),
      intent_hash: intentHash,
      status: 'started',
      updated_at: new Date().toISOString(),
    };
    this.write(entry);
    return entry;
  }

  complete(entry: JournalEntry, resourceId: string): void {
    this.write({ ...entry, status: 'done', resource_id: resourceId, updated_at: new Date().toISOString() });
  }

  private read(): JournalFile {
    return readJsonFile<JournalFile>(this.file) ?? { steps: {} };
  }

  private write(entry: JournalEntry): void {
    const journal = this.read();
    journal.steps[entry.step] = entry;
    writeJsonFile(this.file, journal, 0o600);
  }
}
