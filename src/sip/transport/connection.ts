// What the transport layer knows about one stream connection (TCP, TLS, WS, WSS), whichever
// side opened it. Connections are reused in both directions (RFC 3261 §18.2.2, §18.1.1):
// responses go back on the connection a request came on, and requests to a peer we are
// already connected to go out on that connection.
//
// Lifecycle (one place: close() in each implementation):
//
//   connecting ──ready──▶ open ──close(reason) / peer closed / error──▶ closed
//        └──────────────────── error ────────────────────────────────────┘
import type { TransportProtocol } from './types.ts';

/** A snapshot for events and metrics. */
export interface ConnectionInfo {
  id: string;
  protocol: TransportProtocol;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  /** True when we opened it (client side). */
  outbound: boolean;
}

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface SipConnection extends ConnectionInfo {
  readonly state: ConnectionState;
  /** Clock time of the last byte received or sent; drives the idle timeout. */
  lastActivity: number;
  /** Clock time the first byte of a still-incomplete message arrived; 0 when none is pending. */
  partialSince: number;
  /** Table keys this connection is registered under ("TCP|1.2.3.4|5060"). */
  readonly keys: string[];
  /** Write one serialized message; resolves when handed to the kernel, rejects if the connection failed. */
  send(buf: Buffer): Promise<void>;
  /** Write raw bytes without waiting (keep-alive pong, last-gasp 400); errors are ignored. */
  sendRaw(buf: Buffer): void;
  /** Close (idempotent). `hard` drops pending output instead of flushing it. */
  close(reason: string, hard?: boolean): void;
}

/** How a connection reports to its owner (the transport layer). */
export interface ConnectionOwner {
  /** One complete SIP message (a stream frame or one WebSocket message). */
  onMessage(conn: SipConnection, raw: Buffer): void;
  /** Stream framing failed; the owner may answer, then must close the connection. */
  onFramingError(conn: SipConnection, err: Error & { head?: Buffer; status?: number }): void;
  /** An outbound connection finished connecting (its peer address is now known). */
  onOpen(conn: SipConnection): void;
  /** The connection reached its final state. */
  onClosed(conn: SipConnection, reason: string): void;
  /** The clock, for activity times. */
  now(): number;
}

/** "TCP|1.2.3.4|5060": the reuse key of §18.2.2 / §18.1.1 (protocol, remote address, port). */
export function connectionKey(protocol: TransportProtocol, address: string, port: number): string {
  return `${protocol}|${address.toLowerCase()}|${port}`;
}
