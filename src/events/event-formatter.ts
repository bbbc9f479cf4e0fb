// How an event becomes a webhook body. Each face registers its formatter under a name (the
// delivery row's `format`), so the stored event stays face-neutral and the wire shape is
// decided at delivery time. The native format is the envelope itself.
import type { DomainEvent } from '../core/index.ts';

/** Returns the exact body to send (it is what gets signed). Throwing makes the delivery dead. */
export type EventFormatter = (event: DomainEvent) => string;

/** Switchboard's own format: {id, type, applicationId, callId?, occurredAt, data}. */
export const nativeFormatter: EventFormatter = (e) =>
  JSON.stringify({ id: e.id, type: e.type, applicationId: e.applicationId, callId: e.callId, occurredAt: e.occurredAt, data: e.data });

export const DEFAULT_FORMATTERS: Readonly<Record<string, EventFormatter>> = Object.freeze({ native: nativeFormatter });
