import { createHash, randomUUID } from 'node:crypto';
import { ProjectsError } from '../protocol/errors.js';
import { canonicalJson } from './canonical-json.js';
import { type DerivedIdempotencyKey, deriveIdempotencyKey } from './idempotency.js';

/**
 * The CLI's step journal for exactly-once purchases (DESIGN.md S3), as pure data transitions; the
 * file IO lives in src/client/journal-store.ts. A command writes down each step *before* it acts
 * (`started`, with the step's idempotency key) and its outcome after (`done` / `failed`). When the
 * process is killed anywhere in between, a rerun of the same command finds the open journal and:
 * skips `done` steps, and repeats `started` ones — and those that failed without a definite answer
 * (provider down, timeout, garbage) — with the *same* key and body, so the server answers a step that
 * did go through with its first result instead of charging again. A step the server definitely
 * refused (over budget, approval required, quote expired…) charged nothing, so its retry may carry a
 * new body under a fresh key (the next `generation`).
 *
 * The journal never holds secrets: a step records only what the caller's `summarize` picks.
 */
export type StepStatus = 'started' | 'done' | 'failed';

export interface JournalStep {
  id: string;
  status: StepStatus;
  idempotency_key: string;
  body_hash: string;
  /** Bumped when a definitely refused step is retried, giving it a fresh key. */
  generation: number;
  attempts: number;
  started_at: string;
  finished_at?: string;
  /** Non-secret summary of the outcome (e.g. a resource id), chosen by the caller. */
  result?: unknown;
  error?: StepError;
}

/** How a step failed; `http_status` is set only when a server answered (a refusal, not a local error). */
export interface StepError {
  code: string;
  message: string;
  http_status?: number;
}

export interface Journal {
  version: 1;
  /** Which command this is: the same command line in the same project and run gives the same key. */
  command_key: string;
  /** Stands in for the run id in idempotency keys when no run is active; kept across reruns. */
  invocation_id: string;
  project_id: string;
  run_id: string | null;
  status: 'open' | 'finished';
  created_at: string;
  updated_at: string;
  steps: JournalStep[];
}

export interface CommandIdentity {
  /** e.g. `provision` */
  command: string;
  /** The command's meaningful arguments, already normalized (no output flags). */
  args: unknown;
  projectId: string;
  /** PROJECTS_RUN_ID, when set. */
  runId?: string | undefined;
}

/** `jrn_` + 32 hex chars, stable for one command in one project and run. Safe as a file name. */
export function journalKey(identity: CommandIdentity): string {
  const digest = createHash('sha256')
    .update(
      canonicalJson([
        'projects/journal/v1',
        identity.command,
        identity.args ?? null,
        identity.projectId,
        identity.runId ?? null,
      ]),
    )
    .digest('hex');
  return `jrn_${digest.slice(0, 32)}`;
}

export function newJournal(identity: CommandIdentity, now: number): Journal {
  const at = iso(now);
  return {
    version: 1,
    command_key: journalKey(identity),
    invocation_id: `inv_${randomUUID().replaceAll('-', '')}`,
    project_id: identity.projectId,
    run_id: identity.runId ?? null,
    status: 'open',
    created_at: at,
    updated_at: at,
    steps: [],
  };
}

/**
 * Outcomes after which nobody knows whether the step went through: its retry must reuse the same key
 * and body. A definite "nothing was charged" is only a server's 4xx refusal with another code; an
 * error raised locally (after the call may have succeeded) is never taken as one.
 */
export const UNCERTAIN_OUTCOMES: ReadonlySet<string> = new Set([
  'PROVIDER_UNAVAILABLE',
  'ORCHESTRATOR_UNAVAILABLE',
  'INVALID_RESPONSE',
  'IDEMPOTENCY_CONFLICT',
  'INTERRUPTED',
  'INTERNAL',
]);

/** The idempotency key of a step: from the project, the run (or this invocation) and the step id. */
export function stepKey(
  journal: Journal,
  stepId: string,
  body: unknown,
  generation = 0,
): DerivedIdempotencyKey {
  return deriveIdempotencyKey(
    {
      projectId: journal.project_id,
      runId: journal.run_id ?? journal.invocation_id,
      step: generation === 0 ? stepId : `${stepId}#${generation}`,
    },
    body,
  );
}

export function findStep(journal: Journal, stepId: string): JournalStep | undefined {
  return journal.steps.find((step) => step.id === stepId);
}

/**
 * Records that `stepId` is about to act and returns the journal with the step's key. A rerun keeps
 * the key; a changed body after an uncertain outcome is refused here, before the server has to.
 */
export function beginStep(journal: Journal, stepId: string, body: unknown, now: number): Journal {
  const existing = findStep(journal, stepId);
  if (existing?.status === 'done') throw new Error(`step ${stepId} is already done; read its result instead`);
  const generation =
    existing && wasDefinitelyRefused(existing) ? existing.generation + 1 : (existing?.generation ?? 0);
  const { key, bodyHash } = stepKey(journal, stepId, body, generation);
  if (existing && generation === existing.generation && existing.body_hash !== bodyHash) {
    throw changedStep(journal, existing);
  }
  const step: JournalStep = {
    id: stepId,
    status: 'started',
    idempotency_key: key,
    body_hash: bodyHash,
    generation,
    attempts: (existing?.attempts ?? 0) + 1,
    started_at: iso(now),
  };
  return replaceStep(journal, step, now);
}

function wasDefinitelyRefused(step: JournalStep): boolean {
  const status = step.error?.http_status;
  return (
    step.status === 'failed' &&
    status !== undefined &&
    status >= 400 &&
    status < 500 &&
    !UNCERTAIN_OUTCOMES.has(step.error!.code)
  );
}

export function completeStep(journal: Journal, stepId: string, result: unknown, now: number): Journal {
  const step = requireStep(journal, stepId);
  const { error: _previous, ...rest } = step;
  return replaceStep(
    journal,
    { ...rest, status: 'done', finished_at: iso(now), result: result ?? null },
    now,
  );
}

export function failStep(
  journal: Journal,
  stepId: string,
  error: { code: string; message: string },
  now: number,
) {
  const step = requireStep(journal, stepId);
  return replaceStep(journal, { ...step, status: 'failed', finished_at: iso(now), error }, now);
}

export function finishJournal(journal: Journal, now: number): Journal {
  return { ...journal, status: 'finished', updated_at: iso(now) };
}

/** Parses a journal file's text, refusing anything that is not one (never guess with money). */
export function parseJournal(text: string, where: string): Journal {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw corrupt(where, 'is not JSON', error);
  }
  const journal = value as Partial<Journal>;
  const valid =
    journal?.version === 1 &&
    typeof journal.command_key === 'string' &&
    typeof journal.invocation_id === 'string' &&
    typeof journal.project_id === 'string' &&
    (journal.status === 'open' || journal.status === 'finished') &&
    Array.isArray(journal.steps) &&
    journal.steps.every(isStep);
  if (!valid) throw corrupt(where, 'is not a journal this CLI wrote');
  return journal as Journal;
}

function isStep(value: unknown): value is JournalStep {
  const step = value as Partial<JournalStep>;
  return (
    typeof step?.id === 'string' &&
    (step.status === 'started' || step.status === 'done' || step.status === 'failed') &&
    typeof step.idempotency_key === 'string' &&
    typeof step.body_hash === 'string' &&
    Number.isInteger(step.generation)
  );
}

function requireStep(journal: Journal, stepId: string): JournalStep {
  const step = findStep(journal, stepId);
  if (!step) throw new Error(`step ${stepId} was never begun`);
  return step;
}

function replaceStep(journal: Journal, step: JournalStep, now: number): Journal {
  const steps = findStep(journal, step.id)
    ? journal.steps.map((existing) => (existing.id === step.id ? step : existing))
    : [...journal.steps, step];
  return { ...journal, steps, updated_at: iso(now) };
}

function changedStep(journal: Journal, step: JournalStep): ProjectsError {
  return new ProjectsError(
    'IDEMPOTENCY_CONFLICT',
    `step ${step.id} of this command was already attempted with a different request; ` +
      'it may have gone through, so it is not sent again with new details',
    {
      details: { journal: journal.command_key, step: step.id, idempotency_key: step.idempotency_key },
      next: [
        { command: 'projects status', why: 'see what the first attempt did before changing the request' },
      ],
    },
  );
}

function corrupt(where: string, problem: string, cause?: unknown): ProjectsError {
  return new ProjectsError('INTERNAL', `the step journal ${where} ${problem}; it was left untouched`, {
    details: { journal: where },
    ...(cause === undefined ? {} : { cause }),
  });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
