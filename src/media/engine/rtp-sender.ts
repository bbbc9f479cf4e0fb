/**
 * The send side of one RtpEndpoint's RTP stream: its identity and counters (RFC 3550 §5.1: random
 * initial sequence number, timestamp and SSRC), the packet buffers, and the RTP socket's
 * connect()ed state. The endpoint decides what goes out and when (its tick); this class writes
 * the header and hands the datagram to the kernel. It never owns a timer and allocates nothing
 * per packet (dgram itself does, per send).
 *
 * Connected socket: once the endpoint's latch has settled, the socket is connect()ed to that
 * source. A connected socket sends without dgram's per-send address lookup (synchronously,
 * ~20 % cheaper) and the kernel drops every other source's datagrams — the same rule the latch
 * applies (never re-latch mid-call). Only for explicitly bound ports: Linux's UDP disconnect
 * (connect AF_UNSPEC) unbinds a port the kernel chose, so an endpoint on an ephemeral port could
 * not survive a remote change.
 *
 * ```
 *  unconnected ──connect(t)──▶ connecting ──callback──▶ connected(t)
 *       ▲                          │ disconnect()            │ disconnect() (new remote)
 *       └──────────────────────────┴─────────────────────────┘
 * ```
 *
 * Paced sends (native-pacer.ts, when the native module is built): while connected, the sender
 * holds a slot of the native pacer, and a packet built ahead (the next tick's prompt frame) can
 * be handed to it with its due time (submitWritten) instead of being sent from the worker's
 * tick. Until it has left it can be taken back (cancelPaced: sequence number and counters roll
 * back, as if it had never been written). The slot is given back before the socket is
 * disconnected or closed, so the pacer never uses a stale file descriptor; a packet still queued
 * then is taken back the same way first (disconnect()/close() leave no counted-but-unsent packet).
 */
import type { Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { writeRtp } from '../rtp/index.ts';
import { loadPacer, socketFd, type NativePacer } from './native-pacer.ts';

/** Send buffers in rotation: a packet's buffer is not reused before dgram is done with it. */
const SEND_BUFFERS = 4;

export interface RtpTarget {
  address: string;
  port: number;
}

export class RtpSender {
  readonly ssrc = randomInt(1, 0xffffffff);
  seq = randomInt(0, 0xffff);
  /** Timestamp of the next packet. */
  ts = randomInt(0, 0xffffffff);
  /** Set the marker bit on the next audio packet (start of a talkspurt, RFC 3551 §4.1). */
  marker = true;
  packetsOut = 0;
  /** Bytes sent, RTP headers included. */
  bytesOut = 0;
  /** Where encoders write the next payload. */
  readonly payload: Uint8Array;
  private readonly bufs: Buffer[] = [];
  private idx = 0;
  private connectedTo: RtpTarget | undefined;
  private pending = false;
  /** Bumped when the target changes, so a connect() that completes for an old target is undone. */
  private gen = 0;
  private readonly pacer: NativePacer | undefined = loadPacer();
  /** The pacer slot while connected (-1: none), and the connected socket's fd for native sends. */
  private slot = -1;
  private fd = -1;
  /** Length of the packet last handed to the pacer (for rolling the counters back on cancel). */
  private pacedLen = 0;

  constructor(private readonly socket: Socket, maxPayload: number, readonly mayConnect: boolean, private readonly isClosed: () => boolean) {
    this.payload = new Uint8Array(maxPayload);
    for (let i = 0; i < SEND_BUFFERS; i++) this.bufs.push(Buffer.alloc(12 + maxPayload));
  }

  get connected(): boolean {
    return this.connectedTo !== undefined;
  }

  /** Whether connect() should be called now (allowed, not connected, not connecting). */
  get mayConnectNow(): boolean {
    return this.mayConnect && this.connectedTo === undefined && !this.pending;
  }

  /** connect() the socket to `t` (the settled latch target). */
  connect(t: RtpTarget): void {
    if (this.isClosed()) return;
    const gen = ++this.gen;
    this.pending = true;
    try {
      this.socket.connect(t.port, t.address, () => {
        this.pending = false;
        if (gen !== this.gen || this.isClosed()) {
          // The target changed (or the endpoint closed) while connecting: undo.
          try { this.socket.disconnect(); } catch { /* already closed */ }
          return;
        }
        this.connectedTo = t;
        this.openPacer();
      });
    } catch {
      // Not connectable (socket closing): stay unconnected; sends keep naming the address.
      this.pending = false;
    }
  }

  disconnect(): void {
    this.gen++;
    this.closePacer();
    if (!this.connectedTo) return;
    this.connectedTo = undefined;
    try { this.socket.disconnect(); } catch { /* not connected yet, or closed */ }
  }

  /** True when a packet can be handed to the native pacer (connected, module loaded, slot held). */
  get canPace(): boolean {
    return this.slot >= 0;
  }

  private openPacer(): void {
    if (!this.pacer || this.slot >= 0) return;
    const fd = socketFd(this.socket);
    if (fd === undefined) return;
    try {
      this.slot = this.pacer.open(fd);
      this.fd = fd;
    } catch {
      this.slot = -1; // no slot left: this stream is sent from the tick, as without the pacer
    }
  }

  /**
   * Give the pacer slot back. A packet still queued is taken back first (cancelPaced: sequence
   * number and counters roll back) — the slot's close() would drop it too, but silently, leaving
   * a sequence number counted as sent that never left (a gap the peer would see as a loss).
   * Callers that cancel first themselves (OutboundPath.dropPrepared) find nothing queued here.
   */
  private closePacer(): void {
    if (this.slot < 0) return;
    this.cancelPaced();
    this.pacer!.close(this.slot);
    this.slot = -1;
    this.fd = -1;
  }

  /** The endpoint is closing: give the pacer slot back before the socket goes. */
  close(): void {
    this.closePacer();
  }

  /**
   * Hand the packet write() put in the current buffer to the pacer, to leave at `dueMs` (the
   * monotonic clock of process.hrtime, ms). Counts as sent (sequence number, counters) unless
   * taken back with cancelPaced(). False when it could not be queued (no slot, or the previous
   * packet has not left yet): nothing changed, the caller sends it itself.
   */
  submitWritten(len: number, dueMs: number): boolean {
    if (this.slot < 0 || !this.pacer!.submit(this.slot, this.bufs[this.idx], len, dueMs)) return false;
    this.idx = (this.idx + 1) % SEND_BUFFERS;
    this.seq = (this.seq + 1) & 0xffff;
    this.packetsOut++;
    this.bytesOut += len;
    this.pacedLen = len;
    return true;
  }

  /** Take back the packet submitWritten() queued: true when it will not leave (its sequence number and counters are rolled back), false when it has left already. */
  cancelPaced(): boolean {
    if (this.slot < 0 || !this.pacer!.cancel(this.slot)) return false;
    this.seq = (this.seq - 1) & 0xffff;
    this.packetsOut--;
    this.bytesOut -= this.pacedLen;
    return true;
  }

  /** Write a packet (header + `payloadLength` bytes of `payload`) into the next send buffer; returns its length. Nothing is sent yet. */
  write(pt: number, marker: boolean, ts: number, payloadLength: number): number {
    return writeRtp({ marker, payloadType: pt, sequenceNumber: this.seq, timestamp: ts, ssrc: this.ssrc }, this.payload.subarray(0, payloadLength), this.bufs[this.idx]);
  }

  /**
   * Send the packet write() put in the current buffer: on the connected socket when `to` is its
   * target (or omitted), addressed when unconnected. The sequence number advances either way (a
   * packet that could not leave is a lost packet to the peer); false when it did not leave.
   */
  sendWritten(len: number, to?: RtpTarget): boolean {
    const buf = this.bufs[this.idx];
    this.idx = (this.idx + 1) % SEND_BUFFERS;
    this.seq = (this.seq + 1) & 0xffff;
    const c = this.connectedTo;
    try {
      if (c !== undefined && (to === undefined || (c.port === to.port && c.address === to.address))) {
        // Connected: send(2) from here through the native module when loaded (no per-send
        // allocation in dgram), else dgram's synchronous connected send.
        if (this.slot >= 0) {
          if (!this.pacer!.sendNow(this.fd, buf, len)) return false;
        } else {
          this.socket.send(buf, 0, len);
        }
      }
      else if (c === undefined && to !== undefined) this.socket.send(buf, 0, len, to.port, to.address);
      else return false; // connected elsewhere (cannot happen: a remote change disconnects first), or no target
    } catch {
      // dgram refuses an addressed send while a connect() is completing (or the socket closes): lost.
      return false;
    }
    this.packetsOut++;
    this.bytesOut += len;
    return true;
  }

  /** write() + sendWritten() to `to`. */
  send(to: RtpTarget, pt: number, marker: boolean, ts: number, payloadLength: number): boolean {
    return this.sendWritten(this.write(pt, marker, ts, payloadLength), to);
  }

  /** An RTCP datagram through `sock`; false when it cannot leave (a connected RTP socket only sends to its target). */
  sendDatagram(sock: Socket, buf: Buffer, port: number, address: string, sent?: () => void): boolean {
    const c = sock === this.socket ? this.connectedTo : undefined;
    if (c && (c.port !== port || c.address !== address)) return false; // rtcp-mux goes to the RTP target; anything else cannot leave a connected socket
    try {
      if (c) sock.send(buf, sent ? () => sent() : undefined);
      else sock.send(buf, port, address, sent ? () => sent() : undefined);
    } catch {
      return false;
    }
    return true;
  }
}
