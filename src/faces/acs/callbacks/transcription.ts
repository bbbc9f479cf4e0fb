// Transcription callbacks of the ACS face (vendor-apis.md A.4): core's transcription.* events →
// TranscriptionStarted / TranscriptionStopped / TranscriptionUpdated / TranscriptionFailed, each
// with transcriptionUpdate {transcriptionStatus, transcriptionStatusDetails} (the SDK's
// TranscriptionUpdate). The transcript itself goes over the WebSocket, not here.
import type { CallbackMapper } from '../callback-events.ts';

const update = (transcriptionStatus: string, transcriptionStatusDetails: string) => ({ transcriptionUpdate: { transcriptionStatus, transcriptionStatusDetails } });

export const transcriptionCallbacks: CallbackMapper = (e, res) => {
  const d = e.data as { reason?: string; error?: string; locale?: string };
  switch (e.type) {
    case 'transcription.started':
      return { type: 'TranscriptionStarted', data: { ...res('Transcription started.'), ...update('transcriptionStarted', 'subscriptionStarted') } };
    case 'transcription.updated':
      return { type: 'TranscriptionUpdated', data: { ...res(`Transcription locale is now ${String(d.locale)}.`), ...update('transcriptionUpdated', 'subscriptionStarted') } };
    case 'transcription.stopped':
      return {
        type: 'TranscriptionStopped',
        data: { ...res(`Transcription stopped (${String(d.reason)}).`), ...update('transcriptionStopped', d.reason === 'peer' ? 'streamConnectionInterrupted' : 'subscriptionStopped') },
      };
    // startTranscription.failed is not mapped: a failed start also journals transcription.failed (one callback).
    case 'transcription.failed':
      return {
        type: 'TranscriptionFailed',
        data: {
          resultInformation: { code: d.reason === 'start' ? 400 : 500, subCode: 8581, message: `Transcription failed: ${String(d.error ?? d.reason)}` },
          ...update('transcriptionFailed', d.reason === 'start' ? 'streamConnectionUnsuccessful' : 'unspecifiedError'),
        },
      };
    case 'updateTranscription.failed':
      return { type: 'TranscriptionFailed', data: { ...res(''), ...update('transcriptionFailed', 'unspecifiedError') } };
    default:
      return null;
  }
};
