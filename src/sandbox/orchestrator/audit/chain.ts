import { randomBytes } from 'node:crypto';
import { canonicalHash } from '../../../core/canonical-json.js';
import type { AuditEvent, AuditVerification } from '../../../protocol/money.js';
import type { OrchestratorStorage } from '../storage/unit-of-work.js';
import type { AuditHead, AuditListQuery, StoredAuditEvent } from './repository.js';

/**
 * The append-only, hash-chained audit log (S5). Every event holds the hash of the one before it; each hash
 * covers the event's canonical JSON (seq included, so a reorder breaks it). The head record anchors the last
 * event so that deleting the tail is detected too. Callers append inside the unit of work of the state change
 * they record, so an action and its audit event commit or roll back together.
 */
const GENESIS_HASH = '0'.repeat(64);

export interface AuditInput {
  /** The user whose log this belongs to; null for system events. */
  userId: string | null;
  /** Who acted: `human:<email>`, `token:<tok_…>`, `provider:<id>` or `system` (Principal.actor). */
  actor: string;
  /** The agent run the action was charged to, if any. */
  runId?: string | null;
  projectId?: string | null;
  /** Dotted verb, e.g. `payment_token.issue`, `capture`, `freeze`. */
  action: string;
  /** The object acted on (`spt_…`, `cap_…`, `run_…`). */
  subject?: string | null;
  price?: { amount: number; currency: string } | null;
  /** `ok`, or the error code of a refusal. */
  result: string;
  details?: Record<string, unknown>;
  /** Clock in ms; defaults to Date.now(). */
  now?: number;
}

type Unhashed = Omit<AuditEvent, 'hash'>;

/** The event that follows `head` in the chain, hashed. */
function chainEvent(head: AuditHead | undefined, input: AuditInput): AuditEvent {
  const event: Unhashed = {
    seq: (head?.seq ?? 0) + 1,
    id: `evt_${randomBytes(12).toString('hex')}`,
    created_at: new Date(input.now ?? Date.now()).toISOString(),
    user_id: input.userId,
    actor: input.actor,
    run_id: input.runId ?? null,
    project_id: input.projectId ?? null,
    action: input.action,
    subject: input.subject ?? null,
    price: input.price ?? null,
    result: input.result,
    details: input.details ?? {},
    prev_hash: head?.hash ?? GENESIS_HASH,
  };
  return { ...event, hash: canonicalHash(event) };
}

/**
 * Appends one event to the chain. Reading the head and writing after it is one unit (joining the caller's),
 * so two appends can never both extend the same head.
 */
export function appendAudit(store: OrchestratorStorage, input: AuditInput): Promise<AuditEvent> {
  return store.transaction(async (tx) => {
    const event = chainEvent(await tx.audit.head(), input);
    await tx.audit.append(event);
    return event;
  });
}

/** Parses the stored details; throws when they were tampered into something that is not JSON. */
function parsed(stored: StoredAuditEvent): AuditEvent {
  return { ...stored, details: JSON.parse(stored.details) as Record<string, unknown> };
}

export function listAudit(store: OrchestratorStorage, query: AuditListQuery): Promise<AuditEvent[]> {
  return store.transaction(async (tx) => (await tx.audit.list(query)).map(parsed));
}

function checkEvent(stored: StoredAuditEvent, expectedSeq: number, prevHash: string): string | undefined {
  if (stored.seq !== expectedSeq) return `sequence gap: expected event #${expectedSeq}, found #${stored.seq}`;
  if (stored.prev_hash !== prevHash) return 'prev_hash does not match the hash of the event before it';
  let event: AuditEvent;
  try {
    event = parsed(stored);
  } catch {
    return 'details are not valid JSON';
  }
  const { hash, ...unhashed } = event;
  if (canonicalHash(unhashed) !== hash) return 'hash does not match the event content';
  return undefined;
}

/** Walks the whole chain in order and names the first event that does not verify. */
export function verifyAuditChain(store: OrchestratorStorage): Promise<AuditVerification> {
  return store.transaction(async (tx): Promise<AuditVerification> => {
    let prevHash = GENESIS_HASH;
    let checked = 0;
    for await (const stored of tx.audit.chain()) {
      const problem = checkEvent(stored, checked + 1, prevHash);
      if (problem)
        return { ok: false, checked, first_bad: { id: stored.id, seq: stored.seq, reason: problem } };
      prevHash = stored.hash;
      checked += 1;
    }
    const head = await tx.audit.head();
    if (!head && checked > 0) {
      return {
        ok: false,
        checked,
        first_bad: { id: null, seq: checked, reason: 'the chain head record is missing' },
      };
    }
    if (head && (head.seq !== checked || head.hash !== prevHash)) {
      const reason = `chain ends at event #${checked} but its head is event #${head.seq}: events were removed`;
      return { ok: false, checked, first_bad: { id: head.event_id, seq: head.seq, reason } };
    }
    return { ok: true, checked, first_bad: null };
  });
}
