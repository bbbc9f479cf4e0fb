// The store's shape of an event and of its deliveries. OutboxEvent is a field-for-field copy
// of core's DomainEvent (src/core/events/domain-event.ts): the store may not import core, so
// the type is repeated and test/events-outbox.test.ts fails to compile if the two drift apart.

/** Same fields as core's DomainEvent. */
export interface OutboxEvent {
  id: string;
  type: string;
  applicationId: string;
  callId?: string;
  /** ISO 8601 UTC with milliseconds; stored as ms, read back with toISOString(). */
  occurredAt: string;
  data: Record<string, unknown>;
}

/** An event as stored: plus its position within its call and when it was appended. */
export interface StoredEvent extends OutboxEvent {
  /** 1, 2, 3 … per call, in append order; absent for events without a call. */
  seq?: number;
  /** When the outbox got it, ms since the epoch (Clock time). */
  createdAt: number;
}

/** Where one event goes: a webhook URL and the face whose format it expects. */
export interface DeliveryTarget {
  url: string;
  /** Formatter name at delivery; default 'native'. */
  format?: string;
}

/**
 * One event on its way to one endpoint. Transitions (made only by OutboxRepository):
 *
 *   pending ──2xx──────────────────────────────────────► delivered
 *     │  ▲
 *     │  └── retryable failure, attempts left (markRetry: next_attempt_at = now + backoff)
 *     │
 *     └──── final failure: 4xx, or attempts / age used up (markDead) ──► dead
 *                                                                          │
 *   pending ◄──────────────── redeliver() (operator replay) ──────────────┘ (also from delivered)
 *
 * While a worker sends it, a pending row carries a lease (owner, until) so no other worker
 * takes it; a lease that runs out (the worker died) makes it claimable again.
 */
export type DeliveryState = 'pending' | 'delivered' | 'dead';

export interface DeliveryRecord {
  id: string;
  eventId: string;
  applicationId: string;
  callId?: string;
  seq?: number;
  url: string;
  format: string;
  state: DeliveryState;
  /** Attempts made so far (0 before the first). */
  attempts: number;
  nextAttemptAt: number;
  /** HTTP status of the last attempt, when there was a response. */
  lastStatus?: number;
  /** Why the last attempt failed ('timeout', 'ECONNREFUSED', 'HTTP 500' …). */
  lastError?: string;
  deliveredAt?: number;
  createdAt: number;
  updatedAt: number;
}

/** A claimed delivery with its event, ready to send. */
export interface ClaimedDelivery {
  delivery: DeliveryRecord;
  event: StoredEvent;
  /**
   * The event's data exactly as stored (JSON text), so a formatter can splice it into the body
   * instead of serialising `event.data` again; absent when the event was built in memory.
   */
  dataJson?: string;
}
