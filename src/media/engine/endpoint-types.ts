/**
 * Plain, JSON-able types of one media endpoint: its configuration, events, statistics and
 * command options. They cross the main ↔ worker boundary unchanged, so nothing here may hold
 * a function, a class instance or a buffer.
 */

/** The negotiated audio codec. Only PCMU, PCMA and L16 are carried on the hot path today. */
export interface CodecSpec {
  /** 'PCMU' | 'PCMA' | 'L16' (case-insensitive). */
  name: string;
  /** RTP clock rate = the endpoint's media rate (8000 for G.711). */
  clockRate: number;
  payloadType: number;
  /** Default 1; only mono is supported. */
  channels?: number;
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
}

export interface EndpointUpdate {
  remote?: RemoteSpec;
  codec?: CodecSpec;
  telephoneEvent?: TelephoneEventSpec;
  direction?: MediaDirection;
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
  /** Packets dropped because they came from a stranger (not the signaled/latched source). */
  rejectedPackets: number;
  /** Comfort-noise (PT 13) and unknown payload types, ignored. */
  ignoredPackets: number;
  /** Remote SSRC changes seen. */
  ssrcChanges: number;
  rtcpIn: number;
  rtcpOut: number;
  /** Frames sent while nothing else played (silence). */
  silenceFrames: number;
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
  /** 1: what the peer sends (mono); 2: stereo, left = peer, right = what we send. Default 1. */
  channels?: 1 | 2;
  /** Stop after this long. Default unlimited. */
  maxDurationMs?: number;
}

export type OperationReason = 'finished' | 'cancelled' | 'barge-in' | 'error';

export interface OperationResult {
  reason: OperationReason;
  error?: string;
  /** record: ms written. */
  durationMs?: number;
}
