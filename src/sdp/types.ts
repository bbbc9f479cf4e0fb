// The SDP data model (RFC 8866 §5). Plain data, so it can be cloned, compared and sent across a
// worker boundary. The raw attribute lists are the single source of truth: the serializer writes
// them back as they are, and typed views (media-view.ts) read them on demand, so an attribute
// nobody here understands is carried through unchanged. Numbers that can exceed 2^53 (o= sess-id
// and sess-version) are kept as decimal strings.

/** One `a=` line. `value` is undefined for a property attribute (`a=rtcp-mux`). RFC 8866 §5.13 */
export interface Attribute {
  name: string;
  value?: string;
}

/** `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` (RFC 8866 §5.2). */
export interface Origin {
  username: string;
  /** Decimal digits; may exceed 2^53 (Chrome uses 19-digit ids). */
  sessId: string;
  /** Decimal digits; incremented on every change of the description (RFC 3264 §8). */
  sessVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

/** `c=<nettype> <addrtype> <connection-address>` (RFC 8866 §5.7). */
export interface Connection {
  /** 'IN' in practice. */
  netType: string;
  /** 'IP4' | 'IP6'. */
  addrType: string;
  /** Address without the multicast `/ttl/count` suffix. */
  address: string;
  /** IPv4 multicast TTL (`/127`). */
  ttl?: number;
  /** Multicast address count (`/3`). */
  numAddresses?: number;
}

/** `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8): CT, AS, TIAS (RFC 3890), RS/RR (RFC 3556) … */
export interface Bandwidth {
  type: string;
  /** kbit/s for CT/AS, bit/s for TIAS. */
  value: number;
}

/** `t=<start-time> <stop-time>` with its `r=` lines (RFC 8866 §5.9, §5.10). */
export interface Timing {
  /** NTP seconds; 0 = unbounded (the only value seen in SIP). */
  start: number;
  stop: number;
  /** `r=` lines verbatim (they may use d/h/m/s units). */
  repeats: string[];
}

/** One `m=` section (RFC 8866 §5.14) with its media-level lines. */
export interface MediaDescription {
  /** 'audio' | 'video' | 'text' | 'application' | 'message' | anything else. */
  type: string;
  /** 0 = stream rejected or disabled (RFC 3264 §6, §8.2). */
  port: number;
  /** `m=audio 49170/2 …` — number of consecutive ports. */
  numPorts?: number;
  /** 'RTP/AVP' | 'RTP/AVPF' | 'RTP/SAVP' | 'RTP/SAVPF' | 'UDP/TLS/RTP/SAVPF' | 'UDP/DTLS/SCTP' … */
  protocol: string;
  /** Payload type numbers as strings for RTP; opaque tokens otherwise. At least one. */
  formats: string[];
  /** `i=` */
  information?: string;
  /** `c=` at media level; overrides the session-level one. */
  connection?: Connection;
  /** `b=` lines in order. */
  bandwidths: Bandwidth[];
  /** `k=` verbatim (obsolete; kept for round-trip). */
  key?: string;
  /** `a=` lines in order, unknown ones included. */
  attributes: Attribute[];
}

/** A whole session description (RFC 8866 §5). */
export interface SessionDescription {
  /** `v=` — always 0. */
  version: number;
  origin: Origin;
  /** `s=` — '-' when there is nothing better to say. */
  sessionName: string;
  /** `i=` */
  information?: string;
  /** `u=` */
  uri?: string;
  /** `e=` lines. */
  emails: string[];
  /** `p=` lines. */
  phones: string[];
  /** Session-level `c=`; media without their own `c=` use it. */
  connection?: Connection;
  bandwidths: Bandwidth[];
  /** `t=` lines (at least one) with their `r=` lines. */
  timing: Timing[];
  /** `z=` verbatim. */
  timeZones?: string;
  /** `k=` verbatim (obsolete). */
  key?: string;
  /** Session-level `a=` lines in order, unknown ones included. */
  attributes: Attribute[];
  media: MediaDescription[];
}

/** Media direction (RFC 8866 §6.7, RFC 3264 §5.1). */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/**
 * A codec as the caller (the media engine) and the negotiation see it.
 * `name` is compared case-insensitively; `channels` defaults to 1.
 */
export interface Codec {
  /** Encoding name as in rtpmap: 'PCMU', 'PCMA', 'opus', 'telephone-event', 'L16' … */
  name: string;
  clockRate: number;
  /** Audio channels; default 1. */
  channels?: number;
  /** RTP payload type: 0–34 static (RFC 3551 §6), 96–127 dynamic. */
  payloadType: number;
  /** `a=fmtp` parameters verbatim (`minptime=10;useinbandfec=1`). */
  fmtp?: string;
}

/** What an offer/answer exchange settled for the one audio stream, from our point of view. */
export interface NegotiatedMedia {
  /** Where to send RTP (connection address of the remote media). */
  remoteAddress: string;
  remotePort: number;
  /** Where to send RTCP: remotePort when muxed, else `a=rtcp` (RFC 3605) or remotePort + 1. */
  remoteRtcpPort: number;
  /** The chosen codec, with the payload type to use on the wire (see negotiateAnswer/applyAnswer). */
  codec: Codec;
  /** RFC 4733 events, when both sides do them. */
  telephoneEvent?: { payloadType: number; clockRate: number };
  /** Packetization time in ms. */
  ptime: number;
  /** What WE may do: 'sendrecv', 'sendonly' (we send, do not expect to receive) … */
  direction: Direction;
  /** RTP and RTCP share one port (RFC 5761). */
  rtcpMux: boolean;
  /** The remote side put the stream on hold (sendonly/inactive, or legacy c=0.0.0.0). */
  remoteHold: boolean;
}

/** Why an offer or answer cannot be used: SIP status to send (488) and a human reason. */
export interface NegotiationError {
  status: 488;
  reason: string;
}
