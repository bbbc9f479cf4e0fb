// Event Grid delivery (vendor-apis.md A.5): IncomingCall and RecordingFileStatusUpdated as an
// array of one Event Grid event POSTed to the application's subscription URL, after the
// subscription validation handshake (Microsoft.EventGrid.SubscriptionValidationEvent →
// {validationResponse: code}) — an endpoint that has not echoed the code gets no events.
// A node delivers both through the durable outbox (event-grid-events.ts: 'acs-eventgrid'
// format, event-grid-validation.ts: the handshake as a delivery gate, wired in
// src/server/acs-wiring.ts). EventGridPublisher here is the direct path (3 tries, 1 s apart,
// in memory) for a face mounted without the outbox; with `outboxed` it leaves those event
// types to the outbox and posts nothing for them.
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

/** Why an Event Grid endpoint gets no events, as EventGridPublisher.status() reports it. */
export interface EventGridStatus {
  validated: boolean;
  /** Last failure (validation not echoed, or delivery refused); absent when all is well. */
  lastError?: string;
  /** Events withheld because the endpoint is not validated. */
  withheld: number;
}

/**
 * Posts Event Grid events to subscription URLs, each URL validated first: the handshake runs
 * before the first event to a URL and again before the next event after a failed handshake
 * (so a bot that starts answering it starts receiving events). Unvalidated → the event is not
 * sent, counted in status(url).withheld and reported through onProblem (the server logs it).
 */
export class EventGridPublisher {
  private readonly state = new Map<string, EventGridStatus>();
  private readonly validating = new Map<string, Promise<boolean>>();

  constructor(private readonly o: {
    /** Told about every withheld or refused event; default ignore. */
    onProblem?: (url: string, problem: string) => void;
    /** Delivery tries per event; default 3. */
    tries?: number;
    /** Event types the durable outbox delivers instead (publish() skips them); default none. */
    outboxed?: ReadonlySet<string>;
  } = {}) {}

  status(url: string): EventGridStatus | undefined {
    const s = this.state.get(url);
    return s && { ...s };
  }

  /** Validates when needed, then posts; resolves with the HTTP status (0 = not sent or unreachable). */
  async publish(url: string, events: unknown[]): Promise<number> {
    const outboxed = this.o.outboxed;
    if (outboxed) {
      events = events.filter((e) => !outboxed.has(String((e as { eventType?: unknown }).eventType)));
      // 202: accepted — the outbox sends it (validated, retried, kept across restarts).
      if (events.length === 0) return 202;
    }
    const s = this.state.get(url) ?? { validated: false, withheld: 0 };
    this.state.set(url, s);
    if (!s.validated) {
      let v = this.validating.get(url);
      if (!v) {
        v = validateSubscription(url).finally(() => this.validating.delete(url));
        this.validating.set(url, v);
      }
      s.validated = await v;
      if (!s.validated) {
        s.withheld++;
        s.lastError = 'the subscription validation handshake was not answered with the validation code';
        this.o.onProblem?.(url, `event withheld: ${s.lastError}`);
        return 0;
      }
      delete s.lastError;
    }
    const status = await postEventGrid(url, events, this.o.tries ?? 3);
    if (status < 200 || status >= 300) {
      s.lastError = `delivery answered ${status || 'nothing'}`;
      this.o.onProblem?.(url, s.lastError);
    }
    return status;
  }
}
