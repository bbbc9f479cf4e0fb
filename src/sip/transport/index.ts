// The SIP transport layer's public face (RFC 3261 §18, RFC 3581, RFC 5626 §3.5.1 keep-alives,
// RFC 7118 WebSocket), with flood protection. The transaction layer consumes 'message' events
// and calls send()/isReliable()/viaFor() through MessageSender.
export * from './types.ts';
export { TransportLayer } from './transport-layer.ts';
export type { TransportPorts } from './transport-layer.ts';
export type { TransportLayerOptions, TransportLimits, TlsOptions } from './options.ts';
export { DEFAULT_LIMITS } from './options.ts';
export type { TransportEvents, TransportStats } from './transport-events.ts';
export type { ConnectionInfo } from './connection.ts';
export { FloodGuard, DEFAULT_FLOOD, SCANNER_USER_AGENTS } from './flood.ts';
export type { FloodOptions, FloodVerdict } from './flood.ts';
export { StreamFramer, FramingError } from './stream-framer.ts';
export type { FramerLimits, FramerSink } from './stream-framer.ts';
export { IpMatcher } from './ip-match.ts';
export { stampVia } from './via-stamp.ts';
