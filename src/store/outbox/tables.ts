// Kysely's view of the outbox tables (migration 0003); ../schema.ts lists them in Schema.

/** One appended event (see OutboxEvent for the meaning of each field). */
export interface EventsTable {
  /** UUID v7 from core: stable forever, sent as Switchboard-Event-Id. */
  id: string;
  application_id: string;
  call_id: string | null;
  /** 1, 2, 3 … within call_id in append order (unique with call_id); null without a call. */
  seq: number | null;
  type: string;
  /** JSON object: the event's data. */
  data: string;
  /** ms since the epoch. */
  occurred_at: number;
  /** When it was appended, ms since the epoch. */
  created_at: number;
}

/** One event on its way to one endpoint (state machine in outbox-event.ts). */
export interface DeliveriesTable {
  /** Random UUID. */
  id: string;
  event_id: string;
  /** Copied from the event so the hot queries need no join. */
  application_id: string;
  call_id: string | null;
  seq: number | null;
  url: string;
  /** Formatter name ('native', 'acs' …). */
  format: string;
  /** 'pending' | 'delivered' | 'dead'. */
  state: string;
  attempts: number;
  /** ms since the epoch; claimable from then on. */
  next_attempt_at: number;
  /** Who holds the claim, and until when (ms); null when unclaimed. */
  lease_owner: string | null;
  lease_until: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
  created_at: number;
  updated_at: number;
}
