// The envelope of every DomainEvent core emits: what happened, to which application, on which
// call, when. Core fills `data` with the event's own fields; faces format the envelope into
// their callback shape at delivery time (src/events), so nothing here knows any wire format.
//
// It must stay plain JSON (no Dates, no class instances): the outbox stores it as written and
// a restart must read back exactly what was appended.

/** One thing that happened, as core reports it. */
export interface DomainEvent<T extends string = string, D extends Record<string, unknown> = Record<string, unknown>> {
  /** Stable for life, time-ordered (UUID v7, see newEventId); receivers de-duplicate on it. */
  id: string;
  /** Dotted name, e.g. 'call.answered', 'operation.completed'. */
  type: T;
  /** The application (tenant) the event belongs to; deliveries go to its endpoints only. */
  applicationId: string;
  /** The call it is about; events of one call are delivered in the order they were appended. */
  callId?: string;
  /** When it happened: ISO 8601 UTC with milliseconds (`new Date(ms).toISOString()`). */
  occurredAt: string;
  /** Event-specific fields (JSON values only). */
  data: D;
}
