// One TCP or TLS connection carrying SIP (RFC 3261 §18.3): bytes go through a StreamFramer,
// double-CRLF pings get a CRLF pong (RFC 5626 §3.5.1), and complete messages go to the
// owner. Never throws out of a socket callback: every failure ends in close().
import type { Socket } from 'node:net';
import type { ConnectionOwner, ConnectionState, SipConnection } from './connection.ts';
import { StreamFramer } from './stream-framer.ts';
import type { FramerLimits } from './stream-framer.ts';
import type { TransportProtocol } from './types.ts';
import { plainAddress } from './via-stamp.ts';

const PONG = Buffer.from('\r\n');

export class StreamConnection implements SipConnection {
  readonly keys: string[] = [];
  state: ConnectionState;
  lastActivity: number;
  partialSince = 0;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  private readonly framer: StreamFramer;
  private readonly ready: Promise<void>;
  private closeReason = '';

  constructor(
    readonly id: string,
    readonly protocol: TransportProtocol,
    private readonly socket: Socket,
    readonly outbound: boolean,
    private readonly owner: ConnectionOwner,
    limits: FramerLimits,
    /** Outbound: where we are dialling, until the socket knows its peer. */
    target?: { address: string; port: number },
  ) {
    this.state = outbound ? 'connecting' : 'open';
    this.lastActivity = owner.now();
    this.remoteAddress = plainAddress(socket.remoteAddress ?? target?.address ?? '');
    this.remotePort = socket.remotePort ?? target?.port ?? 0;
    this.localAddress = plainAddress(socket.localAddress ?? '');
    this.localPort = socket.localPort ?? 0;
    this.framer = new StreamFramer(limits, {
      onMessage: (frame) => {
        this.partialSince = 0;
        this.owner.onMessage(this, frame);
      },
      onPing: () => this.sendRaw(PONG),
      onError: (err) => this.owner.onFramingError(this, err),
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.close(`error: ${err.message}`, true));
    socket.on('close', () => this.close(this.closeReason || 'closed by peer', true));
    socket.on('end', () => this.close('peer ended', false));
    if (outbound) {
      const secure = protocol === 'TLS';
      this.ready = new Promise<void>((resolve, reject) => {
        const ok = () => {
          if (this.state !== 'connecting') return;
          this.state = 'open';
          this.remoteAddress = plainAddress(socket.remoteAddress ?? this.remoteAddress);
          this.remotePort = socket.remotePort ?? this.remotePort;
          this.localAddress = plainAddress(socket.localAddress ?? '');
          this.localPort = socket.localPort ?? 0;
          resolve();
          this.owner.onOpen(this);
        };
        socket.once(secure ? 'secureConnect' : 'connect', ok);
        socket.once('close', () => reject(new Error(`${protocol} connection ${id} closed: ${this.closeReason}`)));
      });
      this.ready.catch(() => {}); // observed by send(); never an unhandled rejection
    } else this.ready = Promise.resolve();
  }

  private onData(chunk: Buffer): void {
    this.lastActivity = this.owner.now();
    this.framer.push(chunk);
    if (this.partialSince === 0 && this.framer.inMessage) this.partialSince = this.lastActivity;
  }

  async send(buf: Buffer): Promise<void> {
    if (this.state === 'connecting') await this.ready;
    if (this.state !== 'open') throw new Error(`${this.protocol} connection ${this.id} is closed`);
    this.lastActivity = this.owner.now();
    await new Promise<void>((resolve, reject) => {
      this.socket.write(buf, (err) => (err ? reject(err) : resolve()));
    });
  }

  sendRaw(buf: Buffer): void {
    if (this.state !== 'open') return;
    this.socket.write(buf, () => {});
  }

  close(reason: string, hard = false): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeReason = reason;
    this.framer.close();
    if (hard) this.socket.destroy();
    else {
      // Flush what was written (e.g. a last 400), then make sure the socket goes away even if
      // the peer never reads.
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 2000).unref();
    }
    this.owner.onClosed(this, reason);
  }
}
