import { randomBytes } from 'node:crypto';
import { canonicalHash, canonicalJson } from '../../../core/canonical-json.js';
import type { AuditEvent, AuditVerification } from '../../../protocol/money.js';
import type { Db } from '../../db.js';

/**
 * The append-only, hash-chained audit log (S5). Every event holds the hash of the one before it; each hash
 * covers the event's canonical JSON (seq included, so a reorder breaks it). `audit_head` anchors the last
 * event so that deleting the tail is detected too. Callers append inside the transaction of the state change
 * they record, so an action and its audit event commit or roll back together.
 */
export const AUDIT_MIGRATIONS = [
  `CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    user_id TEXT,
    actor TEXT NOT NULL,
    run_id TEXT,
    project_id TEXT,
    action TEXT NOT NULL,
    subject TEXT,
    amount INTEGER,
    currency TEXT,
    result TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX audit_events_user ON audit_events (user_id, seq);
  CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, event_id TEXT NOT NULL, hash TEXT NOT NULL);`,
];

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

interface AuditRow {
  seq: number;
  id: string;
  created_at: string;
  user_id: string | null;
  actor: string;
  run_id: string | null;
  project_id: string | null;
  action: string;
  subject: string | null;
  amount: number | null;
  currency: string | null;
  result: string;
  details: string;
  prev_hash: string;
  hash: string;
}

type Unhashed = Omit<AuditEvent, 'hash'>;

/** Appends one event to the chain; joins the caller's transaction when there is one. */
export function appendAudit(db: Db, input: AuditInput): AuditEvent {
  return db
    .transaction((): AuditEvent => {
      const head = db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as
        | { seq: number; hash: string }
        | undefined;
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
      const hashed: AuditEvent = { ...event, hash: canonicalHash(event) };
      db.prepare(
        `INSERT INTO audit_events (seq, id, created_at, user_id, actor, run_id, project_id, action, subject,
           amount, currency, result, details, prev_hash, hash)
         VALUES (@seq, @id, @created_at, @user_id, @actor, @run_id, @project_id, @action, @subject,
           @amount, @currency, @result, @details, @prev_hash, @hash)`,
      ).run({
        ...hashed,
        amount: hashed.price?.amount ?? null,
        currency: hashed.price?.currency ?? null,
        details: canonicalJson(hashed.details),
      });
      db.prepare(
        `INSERT INTO audit_head (id, seq, event_id, hash) VALUES (1, @seq, @id, @hash)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, event_id = excluded.event_id, hash = excluded.hash`,
      ).run(hashed);
      return hashed;
    })
    .immediate();
}

/** Rebuilds an event from its row; a details column that no longer parses is reported as tampering. */
function fromRow(row: AuditRow): AuditEvent {
  return {
    seq: row.seq,
    id: row.id,
    created_at: row.created_at,
    user_id: row.user_id,
    actor: row.actor,
    run_id: row.run_id,
    project_id: row.project_id,
    action: row.action,
    subject: row.subject,
    price:
      row.amount === null || row.currency === null ? null : { amount: row.amount, currency: row.currency },
    result: row.result,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

export interface AuditQuery {
  userId: string;
  /** ISO timestamp: only events at or after it. */
  since?: string | undefined;
  runId?: string | undefined;
  limit: number;
}

export function listAudit(db: Db, query: AuditQuery): AuditEvent[] {
  const rows = db
    .prepare(
      `SELECT * FROM audit_events WHERE user_id = @userId
         AND (@since IS NULL OR created_at >= @since) AND (@runId IS NULL OR run_id = @runId)
       ORDER BY seq LIMIT @limit`,
    )
    .all({
      userId: query.userId,
      since: query.since ?? null,
      runId: query.runId ?? null,
      limit: query.limit,
    });
  return (rows as AuditRow[]).map(fromRow);
}

function checkRow(row: AuditRow, expectedSeq: number, prevHash: string): string | undefined {
  if (row.seq !== expectedSeq) return `sequence gap: expected event #${expectedSeq}, found #${row.seq}`;
  if (row.prev_hash !== prevHash) return 'prev_hash does not match the hash of the event before it';
  let event: AuditEvent;
  try {
    event = fromRow(row);
  } catch {
    return 'details are not valid JSON';
  }
  const { hash, ...unhashed } = event;
  if (canonicalHash(unhashed) !== hash) return 'hash does not match the event content';
  return undefined;
}

/** Walks the whole chain in order and names the first event that does not verify. */
export function verifyAuditChain(db: Db): AuditVerification {
  const rows = db.prepare('SELECT * FROM audit_events ORDER BY seq').iterate() as IterableIterator<AuditRow>;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  for (const row of rows) {
    const problem = checkRow(row, checked + 1, prevHash);
    if (problem) return { ok: false, checked, first_bad: { id: row.id, seq: row.seq, reason: problem } };
    prevHash = row.hash;
    checked += 1;
  }
  const head = db.prepare('SELECT seq, event_id, hash FROM audit_head WHERE id = 1').get() as
    | { seq: number; event_id: string; hash: string }
    | undefined;
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
}
