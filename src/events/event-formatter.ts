// How an event becomes a webhook body. Each face registers its formatter under a name (the
// delivery row's `format`), so the stored event stays face-neutral and the wire shape is
// decided at delivery time. The native format is the envelope itself.
import type { DomainEvent } from '../core/index.ts';

/** Returns the exact body to send (it is what gets signed). Throwing makes the delivery dead. */
export type EventFormatter = (event: DomainEvent) => string;

/** Switchboard's own format: {id, type, applicationId, callId?, occurredAt, data}. */
export const nativeFormatter: EventFormatter = (e) =>
  JSON.stringify({ id: e.id, type: e.type, applicationId: e.applicationId, callId: e.callId, occurredAt: e.occurredAt, data: e.data });

/**
 * A face's formatter for webhook delivery. A face may have no equivalent for some events
 * (ACS has none for 'call.ringing'): null = nothing to send, the delivery counts as done.
 */
export type DeliveryFormatter = (event: DomainEvent) => string | null;

/** Extra request headers for each POST of one format (e.g. ACS's Bearer JWT, new per POST). */
export type DeliveryHeaders = (event: DomainEvent, body: string) => Record<string, string>;

export const DEFAULT_FORMATTERS: Readonly<Record<string, EventFormatter>> = Object.freeze({ native: nativeFormatter });

/**
 * nativeFormatter's exact output, built from the event's data as stored (JSON text) instead of
 * serialising `data` again: the hot path of webhook delivery. The stored text is
 * JSON.stringify(data) (see OutboxRepository.appendMany), so the bytes are the same.
 */
export function nativeBody(e: DomainEvent, dataJson: string): string {
  return `{"id":${JSON.stringify(e.id)},"type":${JSON.stringify(e.type)},"applicationId":${JSON.stringify(e.applicationId)}${
    e.callId === undefined ? '' : `,"callId":${JSON.stringify(e.callId)}`},"occurredAt":${JSON.stringify(e.occurredAt)},"data":${dataJson}}`;
}
