// IncomingCall as Event Grid delivers it (vendor-apis.md A.5): an array of one Event Grid
// event POSTed to the application's subscription URL, and the subscription validation
// handshake (Microsoft.EventGrid.SubscriptionValidationEvent → {validationResponse}).
// Partial: posted directly (3 tries, 1 s apart), not through the durable outbox — a ringing
// call does not outlive a restart anyway.
import { randomUUID } from 'node:crypto';
import type { Call } from '../../core/index.ts';
import { serverCallIdOf } from './callback-events.ts';
import { toIdentifier } from './identifiers.ts';

export function incomingCallEvent(call: Call, incomingCallContext: string): Record<string, unknown>[] {
  return [{
    id: randomUUID(), topic: `/switchboard/applications/${call.applicationId}`, subject: `/caller/${toIdentifier(call.from).rawId as string}/recipient/${toIdentifier(call.to).rawId as string}`,
    eventType: 'Microsoft.Communication.IncomingCall', eventTime: new Date().toISOString(), metadataVersion: '1', dataVersion: '1.0',
    data: {
      to: toIdentifier(call.to), from: toIdentifier(call.from), serverCallId: serverCallIdOf(call.id), callerDisplayName: '',
      incomingCallContext, correlationId: call.id, customContext: { sipHeaders: {}, voipHeaders: {} },
    },
  }];
}

/** POSTs one Event Grid batch; resolves with the HTTP status (0 when unreachable after retries). */
export async function postEventGrid(url: string, events: unknown[], tries = 3): Promise<number> {
  for (let i = 0; i < tries; i++) {
    try {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' }, body: JSON.stringify(events), signal: AbortSignal.timeout(5000) });
      if (r.status < 500) return r.status;
    } catch { /* retried */ }
    await new Promise((res) => setTimeout(res, 1000));
  }
  return 0;
}

/** Runs the subscription validation handshake; true when the endpoint echoed the code. */
export async function validateSubscription(url: string): Promise<boolean> {
  const code = randomUUID();
  try {
    const r = await fetch(url, {
      method: 'POST', headers: { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' }, signal: AbortSignal.timeout(5000),
      body: JSON.stringify([{ id: randomUUID(), topic: '/switchboard', subject: '', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', eventTime: new Date().toISOString(), metadataVersion: '1', dataVersion: '1', data: { validationCode: code, validationUrl: url } }]),
    });
    const j = await r.json() as { validationResponse?: string };
    return r.ok && j.validationResponse === code;
  } catch {
    return false;
  }
}
