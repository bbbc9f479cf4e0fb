// ICE candidate attribute (RFC 8839 §5.1):
//
//   candidate:<foundation> <component-id> <transport> <priority> <address> <port> typ <type>
//             [raddr <addr>] [rport <port>] *(<extension-name> <extension-value>)
//
// e.g. `candidate:842163049 1 udp 1677729535 203.0.113.7 54400 typ srflx raddr 10.0.0.2
// rport 54400 generation 0 network-cost 999`.

export interface IceCandidate {
  foundation: string;
  /** 1 = RTP, 2 = RTCP. */
  component: number;
  /** 'udp' | 'tcp' as written (case kept). */
  transport: string;
  priority: number;
  /** IP address or, from browsers, an mDNS `.local` name. */
  address: string;
  port: number;
  /** 'host' | 'srflx' | 'prflx' | 'relay'. */
  type: string;
  relatedAddress?: string;
  relatedPort?: number;
  /** Extension pairs in order (tcptype, generation, ufrag, network-id, network-cost …). */
  extensions: [string, string][];
}

/** Parse the value of an `a=candidate:` attribute; undefined when malformed (callers skip it). */
export function parseCandidate(value: string): IceCandidate | undefined {
  const f = value.split(' ');
  if (f.length < 8 || f[6] !== 'typ') return undefined;
  const component = Number(f[1]);
  const priority = Number(f[3]);
  const port = Number(f[5]);
  if (!Number.isInteger(component) || !Number.isInteger(priority) || !Number.isInteger(port)) return undefined;
  const c: IceCandidate = {
    foundation: f[0]!, component, transport: f[2]!, priority, address: f[4]!, port, type: f[7]!, extensions: [],
  };
  for (let i = 8; i + 1 < f.length; i += 2) {
    const k = f[i]!;
    const v = f[i + 1]!;
    if (k === 'raddr') c.relatedAddress = v;
    else if (k === 'rport') c.relatedPort = Number(v);
    else c.extensions.push([k, v]);
  }
  return c;
}

/** The value for an `a=candidate:` attribute (inverse of parseCandidate). */
export function formatCandidate(c: IceCandidate): string {
  let s = `${c.foundation} ${c.component} ${c.transport} ${c.priority} ${c.address} ${c.port} typ ${c.type}`;
  if (c.relatedAddress !== undefined) s += ` raddr ${c.relatedAddress}`;
  if (c.relatedPort !== undefined) s += ` rport ${c.relatedPort}`;
  for (const [k, v] of c.extensions) s += ` ${k} ${v}`;
  return s;
}
