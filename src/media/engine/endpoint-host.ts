/**
 * What an RtpEndpoint needs from around it: the host (the worker) it reports events and finished
 * operations to, and the minimal shapes of the plug-ins it drives (a VAD, a recorder). Kept apart
 * from the endpoint so its inbound and outbound paths (inbound-path.ts, outbound-path.ts) can name
 * them without importing the endpoint. Re-exported by rtp-endpoint.ts (the engine's public face
 * for them).
 */
import type { DtmfEventData, OperationResult } from './endpoint-types.ts';

/** What the endpoint tells its host (the worker). */
export interface EndpointEventMap {
  dtmf: DtmfEventData;
  speech: { state: 'start' | 'end' };
  rtpTimeout: { silentMs: number };
  /** Stream-in: the audio queued before mark `name` has been played (cleared: it was discarded instead). */
  mark: { name: string; cleared: boolean };
  closed: { reason: string };
}
export type EndpointEventName = keyof EndpointEventMap;

export interface EndpointHost {
  emit<K extends EndpointEventName>(type: K, data: EndpointEventMap[K]): void;
  opDone(opId: number, result: OperationResult): void;
  /** Wall-clock ms (Date.now) for RTCP NTP timestamps. */
  wallNow(): number;
  /** Stream-out chunks (rate-converted 20 ms frames) for the main thread; the frames are handed over. */
  streamAudio?(frames: Int16Array[]): void;
}

/** The minimal VAD the endpoint drives (src/media/dsp/vad.ts Vad satisfies it). */
export interface VadLike {
  process(frame: Int16Array): 'speech-start' | 'speech-end' | undefined;
  close(): void;
}

/** The minimal recorder the endpoint drives (src/media/record WavRecorder satisfies it). */
export interface RecorderLike {
  writeMono(frame: Int16Array): void;
  writeStereo(left: Int16Array, right: Int16Array): void;
  readonly isTruncated: boolean;
  readonly durationMs: number;
  close(): Promise<{ durationMs: number; bytes: number; truncated: boolean }> | { durationMs: number; bytes: number; truncated: boolean };
}
