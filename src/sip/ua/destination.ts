// Turning a SIP URI into a transport destination (a simplified RFC 3263 §4): transport from
// the `transport` parameter (or TLS for sips), port from the URI or the scheme's default.
// PARTIAL: no NAPTR/SRV/A lookups — the host is handed to the transport as is, so a domain
// name works only where the transport resolves it.
import { parseUri } from '../message/index.ts';
import type { Uri } from '../message/index.ts';
import type { Destination } from '../transaction/index.ts';
type TransportProtocol = Destination['protocol'];

const PROTOCOLS: Record<string, TransportProtocol> = { udp: 'UDP', tcp: 'TCP', tls: 'TLS', ws: 'WS', wss: 'WSS' };

export function destinationForUri(uri: Uri | string): Destination {
  const u = typeof uri === 'string' ? parseUri(uri) : uri;
  const t = u.params.get('transport')?.toLowerCase();
  let protocol: TransportProtocol = (t && PROTOCOLS[t]) || 'UDP';
  if (u.scheme === 'sips' && protocol === 'TCP') protocol = 'TLS';
  if (u.scheme === 'sips' && !t) protocol = 'TLS';
  const port = u.port ?? (protocol === 'TLS' ? 5061 : protocol === 'WSS' ? 443 : protocol === 'WS' ? 80 : 5060);
  let address = u.host;
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  return { protocol, address, port };
}

/** Stream transports must reuse the connection a peer used (WebSocket clients have no reachable Contact). */
export function isStream(protocol: TransportProtocol): boolean {
  return protocol !== 'UDP';
}
