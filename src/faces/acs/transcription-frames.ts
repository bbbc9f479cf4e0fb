// ACS transcription WebSocket frames (vendor-apis.md A.8): what an ACS application's
// transcription socket receives. The ACS stream framer delegates connections with content
// 'transcription' here, so the JSON shapes live in one place and are tested against the SDK's own
// parser (StreamingData.parse in @azure/communication-call-automation 1.6.0).
//
//   first frame  {"kind":"TranscriptionMetadata","transcriptionMetadata":{subscriptionId, locale,
//                 callConnectionId, correlationId, speechRecognitionModelEndpointId?}}
//   each result  {"kind":"TranscriptionData","transcriptionData":{text, format:"display",
//                 confidence, offset, duration, words:[{text, offset, duration}],
//                 participantRawID, resultStatus:"Intermediate"|"Final"}}
//
// Offsets and durations are 100-ns ticks (the SDK calls them offsetInTicks/durationInTicks).
// The SDK maps `words` with .map() and passes participantRawID to createIdentifierFromRawId(),
// both of which throw on undefined, so we always send an array and a string ('' when the
// speaker is not known: the SDK turns it into an 'unknown' identifier).
import type { StreamConnectRequest, TranscriptResult } from '../../core/index.ts';
import { rawIdOf } from './identifiers.ts';

/** 1 ms in 100-ns ticks. */
const TICKS_PER_MS = 10_000;
const ticks = (ms: number): number => Math.max(0, Math.round(ms * TICKS_PER_MS));

/**
 * The frames sent when the transcription socket opens: one TranscriptionMetadata.
 * callConnectionId and correlationId are the call id (as in our callbacks) unless the request's
 * meta carries them; meta.speechRecognitionModelEndpointId is passed through when present.
 */
export function transcriptionOpen(req: StreamConnectRequest, subscriptionId: string): string[] {
  const meta = req.meta ?? {};
  const transcriptionMetadata: Record<string, string> = {
    subscriptionId,
    locale: req.transcription?.locale ?? 'en-US',
    callConnectionId: meta.callConnectionId ?? req.callId,
    correlationId: meta.correlationId ?? req.callId,
  };
  if (meta.speechRecognitionModelEndpointId !== undefined) {
    transcriptionMetadata.speechRecognitionModelEndpointId = meta.speechRecognitionModelEndpointId;
  }
  return [JSON.stringify({ kind: 'TranscriptionMetadata', transcriptionMetadata })];
}

/** One TranscriptionData frame for a recognizer result. */
export function transcriptionFrame(_req: StreamConnectRequest, r: TranscriptResult): string {
  return JSON.stringify({
    kind: 'TranscriptionData',
    transcriptionData: {
      text: r.text,
      format: 'display',
      // ACS always sends a confidence; an engine that reports none gets 0 rather than a made-up value.
      confidence: r.confidence ?? 0,
      offset: ticks(r.offsetMs),
      duration: ticks(r.durationMs),
      words: (r.words ?? []).map((w) => ({ text: w.text, offset: ticks(w.offsetMs), duration: ticks(w.durationMs) })),
      participantRawID: r.participant !== undefined ? rawIdOf(r.participant) : '',
      resultStatus: r.final ? 'Final' : 'Intermediate',
    },
  });
}
