// The MediaStreamer port: carries a call's audio (or its live transcript) to an application's
// WebSocket, and audio from it back into the call. Core decides WHAT flows (which leg, mixed
// or per participant, which rate, when to start and stop); the implementation (src/events,
// a WebSocket client) decides HOW: connecting, pacing, shedding audio a slow consumer cannot
// take, and framing each message in the dialect named by `format` (a face registers its
// framer: 'native', 'acs' …). Core never sees a WebSocket or a vendor's JSON.
//
// Close cascade: close() (or the peer closing, or the socket failing) ends the connection;
// 'closed' is emitted exactly once with the reason; afterwards send* are no-ops.
import type { TypedEmitter } from './channel.ts';
import type { Participant } from './participant.ts';

/** One piece of a live transcript. */
export interface TranscriptResult {
  text: string;
  /** false = intermediate (may still change), true = final for this utterance. */
  final: boolean;
  /** 0..1 when the engine reports one. */
  confidence?: number;
  /** From the start of the transcription, ms. */
  offsetMs: number;
  durationMs: number;
  words?: { text: string; offsetMs: number; durationMs: number }[];
  /** Who said it, when known. */
  participant?: Participant;
}

export interface StreamConnectRequest {
  /** ws:// or wss:// URL given by the application. */
  url: string;
  /** Framing dialect, a registered framer's name ('native', 'acs' …). */
  format: string;
  /** What this connection carries. */
  content: 'audio' | 'transcription';
  callId: string;
  applicationId: string;
  /** content 'audio': PCM 16-bit mono rate; 'mixed' = one stream of the whole call, 'unmixed' = per participant. */
  audio?: { rate: 16000 | 24000; channels: 'mixed' | 'unmixed'; bidirectional: boolean; dtmf: boolean };
  /** content 'transcription': BCP-47 locale. */
  transcription?: { locale: string };
  /** Opaque metadata for the framer's first message (subscription id, correlation id …). */
  meta?: Record<string, string>;
}

export interface StreamConnectionEvents {
  /** Audio the application sent back (bidirectional), PCM 16-bit mono at the request's rate. */
  audio: [{ samples: Int16Array }];
  /** The application asked to stop playing what it sent (barge-in). */
  stopAudio: [];
  /** The connection ended: 'closed' by us, 'peer' closed it, or 'error' (message in error). */
  closed: [{ reason: 'closed' | 'peer' | 'error'; error?: string }];
}

export interface StreamConnection extends TypedEmitter<StreamConnectionEvents> {
  readonly id: string;
  /** Audio frames shed because the consumer was too slow (never makes the stream late). */
  readonly dropped: number;
  /** One frame of call audio (20 ms); `participant` for unmixed streams. */
  sendAudio(frame: { samples: Int16Array; participant?: Participant; timestampMs: number; silent: boolean }): void;
  /** A DTMF digit heard on the call (when the request asked for dtmf). */
  sendDtmf(digit: string, participant?: Participant): void;
  sendTranscript(result: TranscriptResult): void;
  close(): Promise<void>;
}

export interface MediaStreamer {
  /** Opens the WebSocket and sends the framer's first (metadata) message; rejects when the connection fails. */
  connect(req: StreamConnectRequest): Promise<StreamConnection>;
}
