import type { AuditEvent } from '../../../protocol/money.js';

/**
 * The audit log's storage. `details` comes back as the stored text, not parsed: a row whose details no
 * longer parse must be reported by the verifier as tampering, not crash it.
 */
export type StoredAuditEvent = Omit<AuditEvent, 'details'> & { details: string };

export interface AuditHead {
  seq: number;
  event_id: string;
  hash: string;
}

export interface AuditListQuery {
  userId: string;
  /** ISO timestamp: only events at or after it. */
  since?: string | undefined;
  runId?: string | undefined;
  limit: number;
}

export interface AuditRepository {
  /** The record of the last appended event, kept apart from the events so a cut tail is detected. */
  head(): Promise<AuditHead | undefined>;
  /** Appends the event (whose seq must follow the head) and moves the head to it. */
  append(event: AuditEvent): Promise<void>;
  list(query: AuditListQuery): Promise<StoredAuditEvent[]>;
  /** Every event in seq order. */
  chain(): AsyncIterable<StoredAuditEvent>;
}
