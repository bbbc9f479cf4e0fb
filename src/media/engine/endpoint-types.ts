/**
 * Plain, JSON-able types of one media endpoint: its configuration, events, statistics and
 * command options. They cross the main ↔ worker boundary unchanged, so nothing here may hold
 * a function, a class instance or a buffer.
 */

/** The negotiated audio codec: PCMU, PCMA, L16 (mono) or Opus (RFC 7587: opus/48000/2, sent as mono). */
export interface CodecSpec {
  /** 'PCMU' | 'PCMA' | 'L16' | 'opus' (case-insensitive). */
  name: string;
  /** RTP clock rate = the endpoint's media rate (8000 for G.711, 48000 for Opus). */
  clockRate: number;
  payloadType: number;
  /** Default 1; only mono is supported, except Opus's SDP-mandated 2 (we send and decode mono). */
  channels?: number;
}

/** Tuning of the inbound adaptive jitter buffer (src/media/jitter). */
export interface JitterOptions {
  /** Lowest playout delay it adapts down to, ms. Default 40 (see rtp-endpoint.ts: lower floors shift audio on real peers). */
  minDelayMs?: number;
  /** Highest playout delay, ms. Default 200. */
  maxDelayMs?: number;
  /** Playout delay at the start of a stream, ms. Default 40 (what the old fixed reorder ring used). */
  initialDelayMs?: number;
}

/** RFC 4733 telephone-event as negotiated. */
export interface TelephoneEventSpec {
  payloadType: number;
  /** Default: the audio clock rate. */
  clockRate?: number;
}

export interface RemoteSpec {
  address: string;
  port: number;
  /** Default port + 1 (RFC 3550 §11), or `port` with rtcpMux. */
  rtcpPort?: number;
  /** RTP and RTCP on one port (RFC 5761). Default false. */
  rtcpMux?: boolean;
}

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface EndpointOptions {
  codec: CodecSpec;
  telephoneEvent?: TelephoneEventSpec;
  /** Packetization time in ms. Only 20 is supported. Default 20. */
  ptime?: number;
  /** Where to send; may come later through update() (offerless INVITE). Default none: latch to the first sender. */
  remote?: RemoteSpec;
  /** Default 'sendrecv'. */
  direction?: MediaDirection;
  /** Bind one port for RTP and RTCP (RFC 5761) instead of an even/odd pair. Default: remote.rtcpMux ?? false. */
  rtcpMux?: boolean;
  /** Seconds without any RTP before 'rtpTimeout' fires (once per silence). Default 30. */
  rtpTimeoutS?: number;
  /** Send silence frames when nothing plays (keeps NAT bindings and peers' jitter buffers alive). Default true. */
  sendSilence?: boolean;
  /** Inbound jitter buffer tuning. Default: see JitterOptions. */
  jitter?: JitterOptions;
  /** Mean RTCP report interval, ms (randomized 0.5–1.5×, RFC 3550 §6.2). Default 5000. */
  rtcpIntervalMs?: number;
}

export interface EndpointUpdate {
  remote?: RemoteSpec;
  codec?: CodecSpec;
  telephoneEvent?: TelephoneEventSpec;
  direction?: MediaDirection;
  /**
   * Mute at the engine: what this endpoint RECEIVES from its remote peer is no longer passed on —
   * not to the bridged endpoint (connect(): it hears silence), not into a conference mix, not into
   * the other endpoint's streams or recordings of what it sends. This endpoint itself still hears
   * everything, and its own detectors, VAD, recordings and stream-out still get its audio.
   * Omitted: unchanged. Default (at creation) false.
   */
  muted?: boolean;
}

export type DtmfSource = 'rfc4733' | 'inband' | 'info';

export interface DtmfEventData {
  digit: string;
  source: DtmfSource;
  durationMs: number;
}

/**
 * Where RTP is accepted from (anti-hijack, "RTP bleed"):
 * - 'waiting': nothing valid received yet;
 * - 'signaled': packets come from the address:port signaled in SDP;
 * - 'latched': no packet came from the signaled address, so we latched (within the first
 *   packets) to the source that did send — typically a peer behind NAT.
 */
export type LatchState = 'waiting' | 'signaled' | 'latched';

export interface EndpointStats {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  /** Cumulative lost (RFC 3550 A.3) of the current remote source. */
  lost: number;
  /** Interarrival jitter in ms (RFC 3550 A.8). */
  jitterMs: number;
  /** Round-trip time from the last RTCP RR/SR report about us; undefined until known. */
  rttMs?: number;
  /** What the peer reports about our stream (its last report block), if any. */
  remoteLost?: number;
  remoteJitterMs?: number;
  latch: LatchState;
  /** Address RTP is sent to right now. */
  sendingTo?: { address: string; port: number };
  /**
   * Packets dropped because they came from a stranger (not the signaled/latched source), counted
   * while the RTP socket is unconnected; once the latch settles the socket is connect()ed to its
   * source and the kernel drops strangers' packets uncounted (same rule, cheaper sends).
   */
  rejectedPackets: number;
  /** Comfort-noise (PT 13) and unknown payload types, ignored. */
  ignoredPackets: number;
  /** Remote SSRC changes seen. */
  ssrcChanges: number;
  rtcpIn: number;
  rtcpOut: number;
  /** Frames sent while nothing else played (silence). */
  silenceFrames: number;
  /** The inbound jitter buffer: current delay, and frames lost, concealed, late, dropped. */
  jitterBuffer: { delayMs: number; targetMs: number; lost: number; concealed: number; late: number; dropped: number; underruns: number };
  /** Streaming out: 20 ms frames shed because the consumer was too slow (0 when never streamed). */
  streamDropped: number;
}

export interface DetectOptions {
  /** RFC 4733 telephone-events. Default true. */
  rfc4733?: boolean;
  /** In-band Goertzel DTMF on decoded audio. Default false. */
  inband?: boolean;
  /** Voice activity detection ('speech' events). Default false. */
  vad?: boolean;
}

/** What plays: a subset of src/media/play's PlaySpec that the engine renders itself, plus file/url for the players module. */
export type PlaySpec =
  | { kind: 'file'; path: string }
  | { kind: 'url'; url: string }
  | { kind: 'tone'; tone: 'beep' | 'ringback' | 'busy' | { freqs: number[]; onMs: number; offMs: number; totalMs?: number; levelDbfs?: number } }
  | { kind: 'silence'; ms: number }
  | { kind: 'pcm'; rate: number; samples: Int16Array };

export interface PlayOptions {
  /** Times to play the list; 0 = forever. Default 1. */
  loop?: number;
  /** Stop playing on a DTMF digit, on speech start, or either. Default none. */
  bargeIn?: 'dtmf' | 'speech' | 'any';
}

export interface RecordOptions {
  /** 1: mono mix of what the peer says and what we send; 2: stereo, left = peer, right = what we send. Default 1. */
  channels?: 1 | 2;
  /** Stop after this much audio (result truncated = true). Default unlimited. */
  maxDurationMs?: number;
  /** Stop before the file exceeds this many bytes (result truncated = true). Default unlimited. */
  maxBytes?: number;
}

export type OperationReason = 'finished' | 'cancelled' | 'barge-in' | 'error';

export interface OperationResult {
  reason: OperationReason;
  error?: string;
  /** Stable code of the error, when it has one (players: NOT_FOUND, TOO_LARGE, UNSUPPORTED_FORMAT, FETCH_FAILED). */
  code?: string;
  /** record: ms written. */
  durationMs?: number;
  /** record: file size, header included. */
  bytes?: number;
  /** record: a duration or size limit cut it short. */
  truncated?: boolean;
}

/** Streaming hook, out: the leg's decoded audio as 20 ms PCM chunks. */
export interface StreamOptions {
  /** Rate of the chunks delivered. */
  rate: 16000 | 24000;
  /** true: what the peer says plus what we send (one mono mix); false: only what the peer says. Default false. */
  mixed?: boolean;
  /** Audio kept for a slow consumer before the oldest is shed, ms. Default 500. */
  maxQueueMs?: number;
}

/** How an endpoint takes part in a conference (Mixer participant options). */
export interface ConferenceJoinOptions {
  /** Others do not hear it. Default false. */
  muted?: boolean;
  /** Gain applied to what it says, dB. Default 0. */
  gain?: number;
  /** Hears everyone, says nothing (like muted, but not meant to be unmuted). Default false. */
  listenOnly?: boolean;
  /** Whisper (coach): only the endpoint with this id hears it. Default none (everyone hears it). */
  whisperTo?: number;
}
