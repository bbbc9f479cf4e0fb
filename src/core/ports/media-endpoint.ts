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

export interface TapOptions {
  /** Rate of the PCM delivered, Hz (16-bit mono). */
  rate: 16000 | 24000;
  /**
   * true: what the peer says plus what this leg sends it (the two-party call as heard on the line);
   * false: only what the peer says. Default false.
   */
  mixed?: boolean;
}

export interface AudioTapEvents {
  /** One 20 ms chunk. `samples` is shared between taps: read it, never write it. */
  audio: [{ rate: number; samples: Int16Array }];
  /** Emitted once, after close() or when the endpoint closes. */
  closed: [];
}

/**
 * A listener on a leg's audio (streaming to a WebSocket, live transcription …). Several taps may
 * be open on one endpoint at once; each gets every chunk. A tap slower than real time never
 * delays the others or the call: audio it could not take is shed (oldest first) and counted.
 */
export interface AudioTap extends TypedEmitter<AudioTapEvents> {
  /** Chunks shed for this tap (worker-side pacing and adapter-side), as known so far; final after close(). */
  readonly dropped: number;
  /** Idempotent; emits 'closed' once. */
  close(): Promise<void>;
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
  /** Starts listening to this leg's audio; see AudioTap. */
  openTap(opts: TapOptions): Promise<AudioTap>;
  /**
   * Queues PCM (16-bit mono at `rate`) to be played to the peer after what is queued; it plays
   * whenever no play() runs. Ownership of `samples` passes to the endpoint.
   */
  streamIn(samples: Int16Array, rate: 16000 | 24000): Promise<void>;
  /** Drops the stream-in audio queued but not yet played (barge-in). */
  clearStreamIn(): Promise<void>;
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
