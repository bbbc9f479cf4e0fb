// A pre-delivery check per delivery format (WebhookDeliveryOptions.gates). Some receivers must
// be made ready before they may get events — an Azure Event Grid subscription endpoint has to
// answer the validation handshake first (vendor-apis.md A.5, src/faces/acs/event-grid-
// validation.ts). The engine asks the gate before each POST; a reason string means "not yet":
// the attempt counts as a retryable failure (backoff, then dead after the usual attempt/age
// limits), so a held-back event waits in the outbox instead of vanishing.
import type { DomainEvent } from '../core/index.ts';
import type { DeliveryRecord } from '../store/index.ts';

/** undefined = send now; a string = why the delivery is held back (recorded as its last error). */
export type DeliveryGate = (delivery: DeliveryRecord, event: DomainEvent) => Promise<string | undefined> | string | undefined;
