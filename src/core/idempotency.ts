import { createHash } from 'node:crypto';
import { ProjectsError } from '../protocol/errors.js';
import { canonicalHash, canonicalJson } from './canonical-json.js';

/**
 * Idempotency keys for billable calls (DESIGN.md S3). A key names *which step of which run of which
 * project* is being paid for — never what the step's body happens to be. That is the point: a rerun
 * after a crash, or a retried HTTP call, sends the same key and gets the first result back; a rerun
 * whose body changed (another price, another domain) sends the same key with another `bodyHash`,
 * which the orchestrator refuses as IDEMPOTENCY_CONFLICT instead of paying twice. Folding the body
 * into the key would turn that conflict into a second, silent charge.
 */
export interface StepIdentity {
  /** `prj_…` */
  projectId: string;
  /** `run_…`, or the invocation's own id when no run is active (the journal keeps it for reruns). */
  runId: string;
  /** The plan step's stable id within the run, e.g. `3:registrar:domain`. */
  step: string;
}

export interface DerivedIdempotencyKey {
  /** `idk_` + 64 hex chars; deterministic in (projectId, runId, step). */
  key: string;
  /** SHA-256 (hex) of the step body's canonical JSON: the fingerprint a replay must match. */
  bodyHash: string;
}

export const IDEMPOTENCY_KEY_PATTERN = /^idk_[0-9a-f]{64}$/;

/** Versioned domain separator so that a future derivation can never collide with this one. */
const KEY_DOMAIN = 'projects/idempotency-key/v1';

export function deriveIdempotencyKey(identity: StepIdentity, body: unknown): DerivedIdempotencyKey {
  return { key: idempotencyKeyFor(identity), bodyHash: canonicalHash(body) };
}

export function idempotencyKeyFor(identity: StepIdentity): string {
  const parts = [identity.projectId, identity.runId, identity.step].map((part, i) =>
    requirePart(part, PART_NAMES[i]!),
  );
  // Canonical JSON of an array keeps the parts unambiguous ("a:b"+"c" never equals "a"+"b:c").
  const digest = createHash('sha256')
    .update(canonicalJson([KEY_DOMAIN, ...parts]))
    .digest('hex');
  return `idk_${digest}`;
}

const PART_NAMES = ['projectId', 'runId', 'step'] as const;

function requirePart(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ProjectsError('INVALID_ARGUMENT', `idempotency key needs a non-empty ${name}`, {
      details: { field: name },
    });
  }
  return value;
}
