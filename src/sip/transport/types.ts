// The contract between the transport layer and the layers above it (RFC 3261 §18).
import type { SipMessage } from '../message/types-public.ts';

/** Transport protocol names as they appear in Via (upper case). */
export type TransportProtocol = 'UDP' | 'TCP' | 'TLS' | 'WS' | 'WSS';

/** Where a message came from: what §18.2.1 and §18.2.2 need to answer it. */
export interface Source {
  protocol: TransportProtocol;
  address: string;
  port: number;
  /** Local address/port the message arrived on. */
  localAddress: string;
  localPort: number;
  /** Stream transports: the connection it arrived on, to send responses back on it. */
  connectionId?: string;
}

/** Where to send a message. With connectionId, that connection is used if still open. */
export interface Destination {
  protocol: TransportProtocol;
  address: string;
  port: number;
  connectionId?: string;
}

/** What the transaction layer needs from the transport layer. */
export interface MessageSender {
  /** Serialize and send; rejects (or throws) when the transport cannot deliver. */
  send(msg: SipMessage, dest: Destination): Promise<void> | void;
  /** Whether this protocol is reliable (no retransmission timers A/E/G). */
  isReliable(protocol: TransportProtocol): boolean;
  /** The Via sent-by (host, port) and transport the stack puts in requests it sends. */
  viaFor(dest: Destination): { host: string; port: number; protocol: TransportProtocol };
}
