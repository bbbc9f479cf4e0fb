// One SIP-over-WebSocket connection (RFC 7118): each WebSocket message, text or binary,
// carries exactly one SIP message (§5), so there is no stream framing; the `ws` library
// enforces the size limit (maxPayload) and answers WebSocket pings itself.
import { WebSocket } from 'ws';
import type { ConnectionOwner, ConnectionState, SipConnection } from './connection.ts';
import type { TransportProtocol } from './types.ts';
import { plainAddress } from './via-stamp.ts';

export class WsConnection implements SipConnection {
  readonly keys: string[] = [];
  state: ConnectionState;
  lastActivity: number;
  /** Always 0: WebSocket messages arrive whole. */
  partialSince = 0;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  private readonly ready: Promise<void>;
  private closeReason = '';

  constructor(
    readonly id: string,
    readonly protocol: TransportProtocol,
    private readonly ws: WebSocket,
    readonly outbound: boolean,
    private readonly owner: ConnectionOwner,
    peer: { address?: string; port?: number; localAddress?: string; localPort?: number },
  ) {
    this.state = ws.readyState === WebSocket.OPEN ? 'open' : 'connecting';
    this.lastActivity = owner.now();
    this.remoteAddress = plainAddress(peer.address ?? '');
    this.remotePort = peer.port ?? 0;
    this.localAddress = plainAddress(peer.localAddress ?? '');
    this.localPort = peer.localPort ?? 0;
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      this.lastActivity = this.owner.now();
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.owner.onMessage(this, buf);
    });
    ws.on('error', (err) => this.close(`error: ${err.message}`, true));
    ws.on('close', (code) => this.close(this.closeReason || `closed by peer (${code})`, true));
    if (this.state === 'connecting') {
      this.ready = new Promise<void>((resolve, reject) => {
        ws.once('open', () => {
          // RFC 7118 §4.1: the server must have agreed to the 'sip' subprotocol.
          if (ws.protocol !== 'sip') {
            this.close('server did not accept subprotocol sip', true);
            return;
          }
          const sock = (ws as unknown as { _socket?: { remoteAddress?: string; remotePort?: number; localAddress?: string; localPort?: number } })._socket;
          if (sock) {
            this.remoteAddress = plainAddress(sock.remoteAddress ?? this.remoteAddress);
            this.remotePort = sock.remotePort ?? this.remotePort;
            this.localAddress = plainAddress(sock.localAddress ?? '');
            this.localPort = sock.localPort ?? 0;
          }
          this.state = 'open';
          resolve();
          this.owner.onOpen(this);
        });
        ws.once('close', () => reject(new Error(`${protocol} connection ${id} closed: ${this.closeReason}`)));
      });
      this.ready.catch(() => {});
    } else this.ready = Promise.resolve();
  }

  async send(buf: Buffer): Promise<void> {
    if (this.state === 'connecting') await this.ready;
    if (this.state !== 'open') throw new Error(`${this.protocol} connection ${this.id} is closed`);
    this.lastActivity = this.owner.now();
    // Text frames: SIP is text, and browsers' SIP stacks (JsSIP, SIP.js) expect strings.
    await new Promise<void>((resolve, reject) => {
      this.ws.send(buf, { binary: false }, (err) => (err ? reject(err) : resolve()));
    });
  }

  sendRaw(buf: Buffer): void {
    if (this.state === 'open') this.ws.send(buf, { binary: false }, () => {});
  }

  close(reason: string, hard = false): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeReason = reason;
    if (hard) this.ws.terminate();
    else this.ws.close(1000);
    this.owner.onClosed(this, reason);
  }
}
