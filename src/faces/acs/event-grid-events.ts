// Event Grid notifications of the ACS face as outbox events (vendor-apis.md A.5): the events
// a face appends for an application that has an Event Grid URL, and the 'acs-eventgrid'
// delivery format that turns them into an Event Grid schema array of one event at delivery
// time (header aeg-event-type: Notification). Two kinds:
//
//   call.incoming                         → acs.eventGrid.incomingCall            → Microsoft.Communication.IncomingCall
//   recording.stateChanged stopped|failed → acs.eventGrid.recordingFileStatusUpdated → Microsoft.Communication.RecordingFileStatusUpdated
//
// The stored events are face-neutral enough to replay (they show up in GET /v1/events under
// these types); the Event Grid event's id is the stored event's id, so a retried or re-sent
// notification carries the same id. incomingCallContext is issued when the notification is
// formatted (each attempt), so it is valid for 5 minutes from the POST the bot receives.
import type { DomainEvent } from '../../core/index.ts';
import { derivedEventId, type DeliveryFormatter, type DeliveryHeaders } from '../../events/index.ts';
import { serverCallIdOf } from './callback-events.ts';
import { recordingFileStatusEvent } from './callbacks/recording.ts';
import { toIdentifier } from './identifiers.ts';
import type { IncomingCallContexts } from './incoming-call-context.ts';

/** The delivery format (deliveries.format) of Event Grid notifications. */
export const EVENT_GRID_FORMAT = 'acs-eventgrid';
export const EVENT_GRID_INCOMING_CALL = 'acs.eventGrid.incomingCall';
export const EVENT_GRID_RECORDING_FILE = 'acs.eventGrid.recordingFileStatusUpdated';

/** IncomingCall for a committed call.incoming (same call, data {from, to, legId} copied). */
export function incomingCallNotice(source: DomainEvent): DomainEvent | undefined {
  if (source.type !== 'call.incoming' || source.callId === undefined) return undefined;
  const at = Date.parse(source.occurredAt);
  return {
    id: derivedEventId(`IncomingCall:${source.id}`, at), type: EVENT_GRID_INCOMING_CALL, applicationId: source.applicationId,
    callId: source.callId, occurredAt: source.occurredAt, data: { ...source.data, sourceEventId: source.id },
  };
}

/** What the file notice needs of a recording (a subset of the store's recording row). */
export interface FinalRecording {
  id: string;
  callId: string;
  applicationId: string;
  channels: number;
  durationMs: number | null;
  /** 'completed' | 'failed' (a row still 'recording'/'paused' gets no notice). */
  state: string;
  createdAt: number;
  updatedAt: number;
}

/** True for a recording.stateChanged that made the recording final. */
export function isRecordingFinal(e: DomainEvent): boolean {
  const s = (e.data as { state?: unknown }).state;
  return e.type === 'recording.stateChanged' && (s === 'stopped' || s === 'failed');
}

/** RecordingFileStatusUpdated for a final recording; one id per recording, whoever appends it. */
export function recordingFileNotice(r: FinalRecording): DomainEvent | undefined {
  if (r.state === 'recording' || r.state === 'paused') return undefined;
  return {
    id: derivedEventId(`RecordingFileStatusUpdated:${r.id}`, r.updatedAt), type: EVENT_GRID_RECORDING_FILE, applicationId: r.applicationId,
    callId: r.callId, occurredAt: new Date(r.updatedAt).toISOString(),
    data: { recordingId: r.id, startedAt: r.createdAt, durationMs: r.durationMs, channels: r.channels, state: r.state },
  };
}

export interface EventGridFormatOptions {
  contexts: IncomingCallContexts;
  /** This node's base URL as bots reach it (scheme://host:port), for the recording file URLs. */
  base: () => string;
}

/** The 'acs-eventgrid' formatter: an Event Grid array of one event, or null (not an Event Grid notification). */
export function eventGridFormatter(o: EventGridFormatOptions): DeliveryFormatter {
  return (e) => {
    const topic = `/switchboard/applications/${e.applicationId}`;
    if (e.type === EVENT_GRID_INCOMING_CALL && e.callId !== undefined) {
      const d = e.data as { from: Parameters<typeof toIdentifier>[0]; to: Parameters<typeof toIdentifier>[0] };
      const from = toIdentifier(d.from);
      const to = toIdentifier(d.to);
      return JSON.stringify([{
        id: e.id, topic, subject: `/caller/${from.rawId as string}/recipient/${to.rawId as string}`,
        eventType: 'Microsoft.Communication.IncomingCall', eventTime: e.occurredAt, metadataVersion: '1', dataVersion: '1.0',
        data: {
          to, from, serverCallId: serverCallIdOf(e.callId), callerDisplayName: '',
          incomingCallContext: o.contexts.issue(e.callId, e.applicationId), correlationId: e.callId,
          customContext: { sipHeaders: {}, voipHeaders: {} },
        },
      }]);
    }
    if (e.type === EVENT_GRID_RECORDING_FILE && e.callId !== undefined) {
      const d = e.data as { recordingId: string; startedAt: number; durationMs: number | null; channels: number; state: string };
      const [ev] = recordingFileStatusEvent({
        id: d.recordingId, applicationId: e.applicationId, callId: e.callId, base: o.base(), startedAt: d.startedAt,
        durationMs: d.durationMs, channels: d.channels, state: d.state,
      });
      return JSON.stringify([{ ...ev, id: e.id, eventTime: e.occurredAt }]);
    }
    return null;
  };
}

/** Event Grid's delivery header on every notification POST. */
export const eventGridHeaders: DeliveryHeaders = () => ({ 'aeg-event-type': 'Notification' });
