/**
 * Symmetric RTP that cannot be hijacked ("RTP bleed"): decides, per received packet, whether
 * its source may feed this endpoint, and where we send.
 *
 * Rules:
 * - A packet from the signaled address:port (SDP c=/m=) is always accepted, and confirms it.
 * - Behind NAT the peer's packets come from another source. If NO packet has come from the
 *   signaled address, the first source that sends valid RTP with an expected payload type
 *   within the latch window (the first `windowMs` after the window opened, and at most
 *   `windowPackets` strangers' packets) is latched: accepted, and we send to it from then on.
 * - Once signaled or latched, it never re-latches mid-call: every other source's packets are
 *   counted and dropped. Only a new remote from signaling (re-INVITE, `reset`) opens a new window.
 *
 * ```
 *             pkt from signaled                       pkt from other source, in window
 *  waiting ─────────────────────▶ signaled   waiting ──────────────────────────────────▶ latched
 *     │ window over (time or packets)                                                   │
 *     └──▶ waiting (closed: only the signaled address can confirm now)                   │
 *  signaled / latched ── other sources: rejected ─────────────────────────────────────────┘
 *  any ──reset(new remote)──▶ waiting (window reopened)
 * ```
 */
import type { LatchState } from './endpoint-types.ts';

export interface RtpLatchOptions {
  /** Latch window after the window opens (endpoint start or remote change). Default 2000 ms. */
  windowMs?: number;
  /** Strangers' packets considered for latching before the window closes. Default 10. */
  windowPackets?: number;
}

export type LatchVerdict = 'accept' | 'reject';

export class RtpLatch {
  private readonly windowMs: number;
  private readonly windowPackets: number;
  state: LatchState = 'waiting';
  /** Signaled remote; undefined when signaling gave none (then the first sender latches). */
  private signaledAddress: string | undefined;
  private signaledPort = 0;
  /** Latched source. */
  latchedAddress: string | undefined;
  latchedPort = 0;
  private windowStart = 0;
  private windowSeen = 0;
  rejected = 0;

  constructor(opts: RtpLatchOptions = {}) {
    this.windowMs = opts.windowMs ?? 2000;
    this.windowPackets = opts.windowPackets ?? 10;
  }

  /** A (new) signaled remote: forget any latch and reopen the window at `nowMs`. */
  reset(address: string | undefined, port: number, nowMs: number): void {
    this.signaledAddress = address;
    this.signaledPort = port;
    this.state = 'waiting';
    this.latchedAddress = undefined;
    this.latchedPort = 0;
    this.windowStart = nowMs;
    this.windowSeen = 0;
  }

  /**
   * Judge one valid RTP packet with an expected payload type from `address:port`. `nowMs` is
   * its arrival time. Transitions happen only here and in reset().
   */
  check(address: string, port: number, nowMs: number): LatchVerdict {
    if (this.state === 'latched') {
      if (port === this.latchedPort && address === this.latchedAddress) return 'accept';
      this.rejected++;
      return 'reject';
    }
    if (port === this.signaledPort && address === this.signaledAddress) {
      this.state = 'signaled';
      return 'accept';
    }
    if (this.state === 'signaled') {
      this.rejected++;
      return 'reject';
    }
    // waiting, stranger: latch only inside the window.
    if (this.windowSeen < this.windowPackets && nowMs - this.windowStart <= this.windowMs) {
      this.state = 'latched';
      this.latchedAddress = address;
      this.latchedPort = port;
      return 'accept';
    }
    this.windowSeen++;
    this.rejected++;
    return 'reject';
  }

  /** Where to send RTP: the latched source, else the signaled remote. */
  target(): { address: string; port: number } | undefined {
    if (this.state === 'latched' && this.latchedAddress) return { address: this.latchedAddress, port: this.latchedPort };
    if (this.signaledAddress) return { address: this.signaledAddress, port: this.signaledPort };
    return undefined;
  }
}
