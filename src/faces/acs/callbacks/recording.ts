// Recording callbacks and Event Grid events of the ACS face (vendor-apis.md A.4, A.5, A.6).
// Callback: core's recording.stateChanged → RecordingStateChanged {recordingId, state
// (active | inactive: paused, stopped and failed are all "inactive" in ACS), startDateTime,
// recordingKind: azureCommunicationServices}; startRecording.failed → StartRecordingFailed.
// Event Grid: Microsoft.Communication.RecordingFileStatusUpdated once the file is final, its
// one chunk's locations pointing at this node's /calling/recordings/{id}/… URLs.
import { randomUUID } from 'node:crypto';
import type { CallbackMapper } from '../callback-events.ts';

export const recordingCallbacks: CallbackMapper = (e, res) => {
  const d = e.data as { recordingId?: string; state?: string; startedAt?: string };
  if (e.type === 'recording.stateChanged') {
    const active = d.state === 'active';
    return {
      type: 'RecordingStateChanged',
      data: {
        ...res(active ? 'Recording is active.' : `Recording is inactive (${String(d.state)}).`),
        recordingId: d.recordingId, state: active ? 'active' : 'inactive', recordingKind: 'azureCommunicationServices',
        ...(d.startedAt ? { startDateTime: d.startedAt } : {}),
      },
    };
  }
  if (e.type === 'startRecording.failed') return { type: 'StartRecordingFailed', data: { ...res(''), ...(d.recordingId ? { recordingId: d.recordingId } : {}) } };
  return null;
};

/** The recording as the file notice describes it. */
export interface FinishedRecording {
  id: string;
  applicationId: string;
  callId: string;
  /** Base URL of this node as the bot reaches it (scheme://host[:port]). */
  base: string;
  startedAt: number;
  durationMs: number | null;
  channels: number;
  /** 'completed' | 'stopped' | 'failed'. */
  state: string;
}

/** Download, metadata and delete URLs of a recording (what the SDK's download/delete take). */
export function recordingLocations(base: string, id: string): { contentLocation: string; metadataLocation: string; deleteLocation: string } {
  const at = `${base}/calling/recordings/${encodeURIComponent(id)}`;
  // No query string: the SDK signs {endpoint.origin}{pathname} only (A.6).
  return { contentLocation: `${at}/content`, metadataLocation: `${at}/metadata`, deleteLocation: `${at}/content` };
}

/** Microsoft.Communication.RecordingFileStatusUpdated (Event Grid schema), as an array of one. */
export function recordingFileStatusEvent(r: FinishedRecording): Record<string, unknown>[] {
  return [{
    id: randomUUID(), topic: `/switchboard/applications/${r.applicationId}`, subject: `/recording/call/${r.callId}/serverCallId/${r.id}`,
    eventType: 'Microsoft.Communication.RecordingFileStatusUpdated', eventTime: new Date().toISOString(), metadataVersion: '1', dataVersion: '1.0',
    data: {
      recordingStorageInfo: {
        recordingChunks: [{ documentId: r.id, index: 0, endReason: r.state === 'failed' ? 'Failed' : 'SessionEnded', ...recordingLocations(r.base, r.id) }],
      },
      recordingStartTime: new Date(r.startedAt).toISOString(),
      recordingDurationMs: r.durationMs ?? 0,
      recordingContentType: 'audio',
      recordingChannelType: r.channels === 2 ? 'unmixed' : 'mixed',
      recordingFormatType: 'wav',
      sessionEndReason: r.state === 'failed' ? 'Failed' : 'CallEnded',
    },
  }];
}
