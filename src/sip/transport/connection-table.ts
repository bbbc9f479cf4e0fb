// Open stream connections, found by id (a response goes back on the connection its request
// came on, §18.2.2) or by (protocol, remote address, port) for reuse (§18.1.1, §18.2.2).
import { connectionKey } from './connection.ts';
import type { SipConnection } from './connection.ts';
import type { TransportProtocol } from './types.ts';

export class ConnectionTable {
  private readonly byId = new Map<string, SipConnection>();
  private readonly byKey = new Map<string, SipConnection>();

  get size(): number {
    return this.byId.size;
  }

  add(conn: SipConnection): void {
    this.byId.set(conn.id, conn);
    this.alias(conn, conn.protocol, conn.remoteAddress, conn.remotePort);
  }

  /** Register a further reuse key (e.g. the host name we dialled as well as the peer IP). */
  alias(conn: SipConnection, protocol: TransportProtocol, address: string, port: number): void {
    if (!address || !port) return;
    const key = connectionKey(protocol, address, port);
    if (conn.keys.includes(key)) return;
    conn.keys.push(key);
    // Newest wins: a fresh connection from a re-registered phone replaces the stale one.
    this.byKey.set(key, conn);
  }

  remove(conn: SipConnection): void {
    if (this.byId.get(conn.id) === conn) this.byId.delete(conn.id);
    for (const k of conn.keys) if (this.byKey.get(k) === conn) this.byKey.delete(k);
  }

  get(id: string): SipConnection | undefined {
    return this.byId.get(id);
  }

  find(protocol: TransportProtocol, address: string, port: number): SipConnection | undefined {
    const c = this.byKey.get(connectionKey(protocol, address, port));
    return c && c.state !== 'closed' ? c : undefined;
  }

  all(): IterableIterator<SipConnection> {
    return this.byId.values();
  }
}
