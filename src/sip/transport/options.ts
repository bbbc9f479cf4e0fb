// Options of the transport layer and their defaults, in one place so the server's config and
// the docs can be checked against them. Every default is stated next to its field.
import type { Clock, Logger } from '../../lib/index.ts';
import type { FloodOptions } from './flood.ts';

/** Hard limits that bound what one peer can make us buffer or parse (RFC 3261 §18.3, RFC 4475). */
export interface TransportLimits {
  /** Largest message (headers + body) accepted on any transport; default 65535 bytes. */
  maxMessageBytes: number;
  /** Most header lines in one message (stream framing check); default 256. */
  maxHeaders: number;
  /** Longest single header line (stream framing check); default 8192 bytes. */
  maxLineBytes: number;
  /** A stream connection with no traffic for this long is closed; default 120000 ms. */
  idleTimeoutMs: number;
  /**
   * Slow-loris guard: a message whose bytes started arriving must be complete within this
   * time, else the connection is closed; also the TLS handshake timeout. Default 10000 ms.
   */
  messageTimeoutMs: number;
  /** Open TCP/TLS/WS connections accepted from one source IP; default 64. */
  maxConnectionsPerSource: number;
  /** Open inbound connections in total per listening socket; default 10000. */
  maxConnections: number;
}

export const DEFAULT_LIMITS: TransportLimits = {
  maxMessageBytes: 65535,
  maxHeaders: 256,
  maxLineBytes: 8192,
  idleTimeoutMs: 120_000,
  messageTimeoutMs: 10_000,
  maxConnectionsPerSource: 64,
  maxConnections: 10_000,
};

export interface TlsOptions {
  /** PEM private key of our certificate; required for a TLS/WSS listener. */
  key: Buffer | string;
  /** PEM certificate (chain); required for a TLS/WSS listener. */
  cert: Buffer | string;
  /** Extra CAs trusted when we connect out over TLS/WSS; default: Node's bundled roots. */
  ca?: Buffer | string | (Buffer | string)[];
  /** Verify the peer certificate when we connect out; default true. */
  rejectUnauthorized?: boolean;
}

export interface TransportLayerOptions {
  /** Bind address; default '0.0.0.0'. */
  host?: string;
  /** Host advertised in Via/Contact; default `host`, or the first non-internal IPv4 when `host` is a wildcard. */
  publicHost?: string;
  /** UDP port; default 5060; 0 = ephemeral; false disables UDP. */
  udpPort?: number | false;
  /** TCP port; default 5060; 0 = ephemeral; false disables TCP listening (outbound TCP still works). */
  tcpPort?: number | false;
  /** TLS port; default 5061 when `tls` is given, otherwise disabled; false disables. */
  tlsPort?: number | false;
  /** Certificate and client settings for TLS and WSS; default none (no TLS/WSS listeners). */
  tls?: TlsOptions;
  /** SIP over WebSocket port (RFC 7118, subprotocol 'sip'); default 5066; false disables. */
  wsPort?: number | false;
  /** SIP over secure WebSocket port; default 5067 when `tls` is given, otherwise disabled; false disables. */
  wssPort?: number | false;
  /** Hard limits; each field defaults as in DEFAULT_LIMITS. */
  limits?: Partial<TransportLimits>;
  /** Flood protection; each field defaults as in DEFAULT_FLOOD. */
  flood?: Partial<FloodOptions>;
  /** Time source for timeouts and rate limits; default systemClock. */
  clock?: Clock;
  /** Logger; default nullLogger. */
  logger?: Logger;
}
