// The events a TransportLayer emits, and the counters it keeps for metrics.
import type { SipMessage } from '../message/types-public.ts';
import type { ConnectionInfo } from './connection.ts';
import type { Source, TransportProtocol } from './types.ts';

export interface TransportEvents {
  /** A well-formed message for the layers above (requests already stamped with received/rport). */
  message: [msg: SipMessage, source: Source];
  /** A message that failed to parse or to frame; requests were answered if they could be. */
  parseError: [err: Error, source: Source, raw: Buffer];
  /** A message passed up: request method or response status, transport, and for responses the CSeq method (for metrics). */
  messageIn: [kind: string | number, protocol: TransportProtocol, cseqMethod?: string];
  /** A message sent: request method or response status, transport, and for responses the CSeq method (for metrics). */
  messageOut: [kind: string | number, protocol: TransportProtocol, cseqMethod?: string];
  /** A source was banned until `untilMs` (clock time). */
  ban: [address: string, untilMs: number];
  /** A request from a known scanner was dropped unanswered. */
  scanner: [address: string, userAgent: string];
  /** A stream connection opened (either direction). */
  connection: [info: ConnectionInfo];
  /** A stream connection closed. */
  connectionClosed: [info: ConnectionInfo, reason: string];
  /** An inbound connection was refused (ban, per-source limit). */
  connectionRejected: [address: string, protocol: TransportProtocol, reason: string];
  /** A 'message' listener threw; the error was caught and logged. */
  handlerError: [err: unknown, msg: SipMessage];
  /** close() finished. */
  closed: [];
}

/** Monotonic counters, cheap enough for the hot path; the server exports them as metrics. */
export interface TransportStats {
  messagesIn: number;
  messagesOut: number;
  parseErrors: number;
  /** Error responses the transport sent itself (400/505 to broken requests). */
  errorResponses: number;
  droppedBanned: number;
  droppedRate: number;
  droppedScanner: number;
  droppedOversize: number;
  keepAlives: number;
  handlerErrors: number;
  connectionsRejected: number;
}

export function newStats(): TransportStats {
  return {
    messagesIn: 0, messagesOut: 0, parseErrors: 0, errorResponses: 0, droppedBanned: 0, droppedRate: 0,
    droppedScanner: 0, droppedOversize: 0, keepAlives: 0, handlerErrors: 0, connectionsRejected: 0,
  };
}
