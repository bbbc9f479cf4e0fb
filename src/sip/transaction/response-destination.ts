// Where a server sends its responses (RFC 3261 §18.2.2, RFC 3581 §4 for rport).
// Computed once per server transaction: every retransmitted response goes to the same place.
import type { SipRequest } from '../message/index.ts';
import type { Destination, Source, TransportProtocol } from '../transport/types.ts';

/** Port used when a Via sent-by has none (RFC 3261 §18.2.2 "or 5060"; 5061 for TLS §26.2; RFC 7118 for WS/WSS). */
export function defaultPort(protocol: string): number {
  switch (protocol) {
    case 'TLS': return 5061;
    case 'WS': return 80;
    case 'WSS': return 443;
    default: return 5060;
  }
}

function isReliableProtocol(p: TransportProtocol): boolean {
  return p !== 'UDP';
}

/**
 * RFC 3261 §18.2.2 (with RFC 3581 §4):
 * - reliable transport: back on the connection the request came in on; if that connection is
 *   gone, the transport opens one to the `received` address (the source IP) and the sent-by port;
 * - `maddr` in the top Via: to that address, sent-by port or 5060;
 * - `rport` in the top Via: to the source IP *and* source port of the request;
 * - otherwise: to the `received` address (the source IP) and the sent-by port or 5060.
 * A request without a parsable Via (the parser should have rejected it) is answered to its source.
 */
export function responseDestination(req: SipRequest, source: Source): Destination {
  const via = req.topVia;
  if (via === undefined) {
    return { protocol: source.protocol, address: source.address, port: source.port, connectionId: source.connectionId };
  }
  const sentByPort = via.port ?? defaultPort(via.transport);
  if (isReliableProtocol(source.protocol)) {
    const dest: Destination = { protocol: source.protocol, address: source.address, port: source.connectionId !== undefined ? sentByPort : source.port };
    if (source.connectionId !== undefined) dest.connectionId = source.connectionId;
    return dest;
  }
  const maddr = via.params.get('maddr');
  if (maddr) return { protocol: source.protocol, address: maddr, port: sentByPort };
  if (via.rport !== undefined) return { protocol: source.protocol, address: source.address, port: source.port };
  return { protocol: source.protocol, address: source.address, port: sentByPort };
}
