// The MediaEndpoint port: one leg's media, as core needs it. Adapters implement it over the
// media workers (src/media/worker MediaEndpointHandle); core holds only this interface and
// never touches RTP, codecs or files.
//
// Long media actions (play, record, DTMF detection with timeouts, send DTMF) are
// MediaOperations: they start at once and settle `done` exactly once — completed, stopped by
// cancel(), or failed. cancel() of a settled operation is a no-op.
//
// Close cascade: close() (or the worker dying) cancels every operation (their `done` settle
// with reason 'closed'), disconnects from any peer or mixer, emits 'closed'; then every
// method rejects.
import type { TypedEmitter } from './channel.ts';

/** One thing to play. TTS items are synthesized by core through the Synthesizer port first. */
export type PlayItem =
  | { kind: 'file'; path: string }
  | { kind: 'url'; url: string }
  | { kind: 'tone'; frequencies: number[]; durationMs: number }
  | { kind: 'silence'; durationMs: number }
  /** Already synthesized audio (16-bit mono PCM at `rate`). */
  | { kind: 'pcm'; rate: number; samples: Int16Array };

export interface PlayOptions {
  /** Repeat the list until cancelled; default false. */
  loop?: boolean;
  /** Stop playing when a DTMF digit or speech arrives; default false. */
  bargeIn?: boolean;
}

/** How a media operation ended. */
export interface MediaResult {
  /** 'completed' = ran to its end; 'cancelled' = cancel(); 'bargeIn' = interrupted by the caller; 'closed' = endpoint closed; 'failed'. */
  reason: 'completed' | 'cancelled' | 'bargeIn' | 'closed' | 'failed' | 'maxDuration' | 'silence' | 'stopTone';
  /** For 'failed': why. */
  error?: string;
  /** Recording: what was written. */
  durationMs?: number;
  sizeBytes?: number;
  /** Recording stopped by a tone: which. */
  tone?: string;
}

export interface MediaOperation {
  /** Settles once (never rejects): see MediaResult.reason. */
  readonly done: Promise<MediaResult>;
  /** Stops it; resolves when stopped. Idempotent. */
  cancel(): Promise<void>;
}

/** A recording in progress may also be paused (silence is written meanwhile, or nothing). */
export interface RecordingOperation extends MediaOperation {
  pause(): Promise<void>;
  resume(): Promise<void>;
}

export interface RecordOptions {
  /** 'wav' (PCM 16-bit) | 'mp3' …, as the adapter supports; default 'wav'. */
  format?: string;
  /** 1 = mixed, 2 = one channel per direction; default 1. */
  channels?: 1 | 2;
  /** Stop after this long; default no limit. */
  maxDurationMs?: number;
  /** Stop after this much silence once speech was heard; default none. */
  endSilenceMs?: number;
  /** Stop (reason 'silence') if nothing is said within this time; default none. */
  initialSilenceMs?: number;
  /** Stop on one of these digits; default none. */
  stopTones?: string;
  /** Play a short beep before recording; default false. */
  beep?: boolean;
}

/** Per-leg media quality (RTCP-derived), for CDRs. */
export interface MediaStats {
  packetsReceived: number;
  packetsLost: number;
  /** Interarrival jitter, ms (RFC 3550 §6.4.1). */
  jitterMs: number;
  /** Round-trip time from RTCP SR/RR, ms; undefined until measured. */
  rttMs?: number;
}

export interface MediaEndpointEvents {
  /** A digit arrived: RFC 4733 telephone-event, in-band tone, or SIP INFO relayed in. */
  dtmf: [{ digit: string; source: 'rfc4733' | 'inband' | 'info'; durationMs?: number }];
  /** Voice activity started / ended (VAD). */
  speechStart: [];
  speechEnd: [{ durationMs: number }];
  /** Audio collected for recognition (after speechEnd, when capture is on). */
  utterance: [{ rate: number; samples: Int16Array }];
  closed: [{ reason: string }];
}

export interface StreamOptions {
  /** WebSocket URL audio goes to / comes from. */
  url: string;
  /** 'inbound' (caller's audio out), 'outbound', 'both'; default 'inbound'. */
  direction?: 'inbound' | 'outbound' | 'both';
  /** Sample rate sent; default 16000. */
  rate?: 8000 | 16000 | 24000;
}

export interface MediaEndpoint extends TypedEmitter<MediaEndpointEvents> {
  readonly id: string;
  readonly closed: boolean;
  play(items: readonly PlayItem[], opts?: PlayOptions): Promise<MediaOperation>;
  record(path: string, opts?: RecordOptions): Promise<RecordingOperation>;
  /** Turns DTMF detection (and the 'dtmf' event) on or off; default on once created. */
  detectDtmf(on: boolean): Promise<void>;
  /** Turns VAD and utterance capture on or off (for recognition). */
  detectSpeech(on: boolean): Promise<void>;
  /** Sends RFC 4733 digits; `done` settles after the last one. */
  sendDtmf(digits: string, opts?: { durationMs?: number }): Promise<MediaOperation>;
  startStream(opts: StreamOptions): Promise<void>;
  stopStream(): Promise<void>;
  /** Bridges audio both ways with another endpoint (two-party calls). */
  connect(other: MediaEndpoint): Promise<void>;
  disconnect(): Promise<void>;
  /** Stops sending this leg's audio to its peers (the leg still hears). */
  mute(): Promise<void>;
  unmute(): Promise<void>;
  /** Cancels every running media operation of this endpoint. */
  stopAll(): Promise<void>;
  stats(): Promise<MediaStats>;
  close(): Promise<void>;
}
