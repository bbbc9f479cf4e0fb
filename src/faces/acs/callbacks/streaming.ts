// Core media streaming events → ACS callbacks (vendor-apis.md A.4):
//   mediaStreaming.started → MediaStreamingStarted {mediaStreamingUpdate: {contentType 'Audio',
//                            mediaStreamingStatus 'mediaStreamingStarted', details 'subscriptionStarted'}}
//   mediaStreaming.stopped → MediaStreamingStopped (status 'mediaStreamingStopped', details
//                            'subscriptionStopped'; the peer closing the socket: 'streamConnectionInterrupted')
//   mediaStreaming.failed  → MediaStreamingFailed  (status 'mediaStreamingFailed', details
//                            'initialWebSocketConnectionFailed' when the connect failed, else
//                            'streamConnectionInterrupted'); resultInformation 500/8536
//   startMediaStreaming.failed → MediaStreamingFailed (details 'unspecifiedError'), unless the
//                            failure was the connection (it already has its mediaStreaming.failed)
// Switchboard's own fields (dropped frames, streamId) are not part of ACS's shape and are left out.
import { SUBCODE, type DomainEvent } from '../../../core/index.ts';
import type { AcsCallback, ResultOf } from '../callback-events.ts';

const update = (status: string, details: string): Record<string, unknown> =>
  ({ mediaStreamingUpdate: { contentType: 'Audio', mediaStreamingStatus: status, mediaStreamingStatusDetails: details } });

const failed = (details: string, message: string): Record<string, unknown> =>
  ({ resultInformation: { code: 500, subCode: 8536, message }, ...update('mediaStreamingFailed', details) });

export function streamingCallbacks(e: DomainEvent, res: ResultOf): AcsCallback {
  const d = e.data as Record<string, unknown>;
  switch (e.type) {
    case 'mediaStreaming.started':
      return { type: 'MediaStreamingStarted', data: { ...res('Action completed successfully.'), ...update('mediaStreamingStarted', 'subscriptionStarted') } };
    case 'mediaStreaming.stopped':
      return {
        type: 'MediaStreamingStopped',
        data: { ...res('Action completed successfully.'), ...update('mediaStreamingStopped', d.reason === 'peer' ? 'streamConnectionInterrupted' : 'subscriptionStopped') },
      };
    case 'mediaStreaming.failed': {
      const why = typeof d.error === 'string' ? d.error : 'media streaming failed';
      return { type: 'MediaStreamingFailed', data: failed(d.reason === 'connect' ? 'initialWebSocketConnectionFailed' : 'streamConnectionInterrupted', why) };
    }
    case 'startMediaStreaming.failed': {
      const r = d.result as { subcode?: number; message?: string } | undefined;
      if (r?.subcode === SUBCODE.MEDIA_FAILED) return null;
      return { type: 'MediaStreamingFailed', data: failed('unspecifiedError', r?.message ?? 'media streaming could not start') };
    }
    default:
      return null;
  }
}
