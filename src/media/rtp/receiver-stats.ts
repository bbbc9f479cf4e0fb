/**
 * Reception statistics for one RTP source, as RFC 3550 Appendix A computes them: sequence
 * validation with 16-bit wrap and probation (A.1), expected/lost/fraction lost (A.3),
 * interarrival jitter in timestamp units (A.8), and the LSR/DLSR fields plus round-trip time
 * of §6.4.1. Allocation-free per packet; it must never throw on hostile input.
 *
 * Source state per A.1 (one place: `update`):
 * ```
 *            first packet / SSRC change
 *   (none) ─────────────────────────────▶ probation ──MIN_SEQUENTIAL in-order packets──▶ valid
 *                                           ▲  │ out of order: restart probation          │
 *                                           └──┘                                          │
 *   valid ── jump > MAX_DROPOUT (or far behind, > MAX_MISORDER): remember seq+1 as bad_seq ┤
 *   valid ── next packet is bad_seq (the sender restarted): re-init sequence state ───────┘
 * ```
 */

const RTP_SEQ_MOD = 0x10000;

export interface ReceiverStatsOptions {
  /** RTP clock rate of the payload, for jitter (arrival ms → timestamp units). Default 8000. */
  clockRate?: number;
  /** In-order packets needed before a new source counts as valid (A.1). Default 2. */
  minSequential?: number;
  /** Largest forward jump treated as loss rather than a restart (A.1). Default 3000. */
  maxDropout?: number;
  /** Largest backward step treated as reordering rather than a restart (A.1). Default 100. */
  maxMisorder?: number;
}

/** A report block's values (RFC 3550 §6.4.1), ready for rtcp.ts. */
export interface ReceptionReport {
  ssrc: number;
  fractionLost: number;
  cumulativeLost: number;
  extendedHighestSeq: number;
  jitter: number;
  lsr: number;
  dlsr: number;
}

export class ReceiverStats {
  private readonly clockRate: number;
  private readonly minSequential: number;
  private readonly maxDropout: number;
  private readonly maxMisorder: number;

  /** SSRC being tracked; undefined until the first packet. */
  ssrc: number | undefined = undefined;
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private probation = 0;
  /** Valid packets received (duplicates count, as in A.3). */
  received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private jitterQ = 0;
  private haveTransit = false;
  private lastArrivalTs = 0;
  private lastRtpTs = 0;
  private lastSrMiddle = 0;
  private lastSrArrivalMs = 0;
  private haveSr = false;
  /** Times the source was (re)started: SSRC change or sequence restart. */
  resets = 0;

  constructor(opts: ReceiverStatsOptions = {}) {
    this.clockRate = opts.clockRate ?? 8000;
    this.minSequential = opts.minSequential ?? 2;
    this.maxDropout = opts.maxDropout ?? 3000;
    this.maxMisorder = opts.maxMisorder ?? 100;
  }

  /**
   * Account one received packet. Returns true if the packet is valid for playout (A.1's
   * update_seq result); false while on probation or after a suspicious sequence jump.
   */
  update(ssrc: number, seq: number, rtpTimestamp: number, arrivalMs: number): boolean {
    if (this.ssrc !== ssrc) {
      // A new SSRC is a new source: all of its state starts over.
      this.ssrc = ssrc;
      this.initSeq(seq);
      this.maxSeq = (seq - 1) & 0xffff;
      this.probation = this.minSequential;
      this.haveTransit = false;
      this.jitterQ = 0;
      this.haveSr = false;
      this.resets++;
    }
    if (!this.updateSeq(seq & 0xffff)) return false;
    this.updateJitter(rtpTimestamp >>> 0, arrivalMs);
    return true;
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  // RFC 3550 Appendix A.1, update_seq().
  private updateSeq(seq: number): boolean {
    const udelta = (seq - this.maxSeq) & 0xffff;
    if (this.probation > 0) {
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          this.received++;
          return true;
        }
      } else {
        this.probation = this.minSequential - 1;
        this.maxSeq = seq;
      }
      return false;
    } else if (udelta < this.maxDropout) {
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD; // wrapped
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - this.maxMisorder) {
      // A very large jump: either the sender restarted (two in a row) or a stray packet.
      if (seq === this.badSeq) {
        this.initSeq(seq);
        this.haveTransit = false;
        this.resets++;
      } else {
        this.badSeq = (seq + 1) & 0xffff;
        return false;
      }
    }
    // else: duplicate or reordered packet within MAX_MISORDER — counted, not a new max.
    this.received++;
    return true;
  }

  // RFC 3550 Appendix A.8. Differences are taken modulo 2^32 so RTP timestamp wrap is harmless.
  private updateJitter(rtpTs: number, arrivalMs: number): void {
    const arrivalTs = (arrivalMs * this.clockRate) / 1000;
    if (this.haveTransit) {
      const tsDelta = (rtpTs - this.lastRtpTs) | 0;
      const d = Math.abs(arrivalTs - this.lastArrivalTs - tsDelta);
      this.jitterQ += (d - this.jitterQ) / 16;
    }
    this.haveTransit = true;
    this.lastArrivalTs = arrivalTs;
    this.lastRtpTs = rtpTs;
  }

  /** Extended highest sequence number received (cycles << 16 | max_seq). */
  get extendedHighestSeq(): number {
    return this.cycles + this.maxSeq;
  }

  /** Packets expected since the source became valid (A.3). */
  get expected(): number {
    return this.probation > 0 || this.ssrc === undefined ? 0 : this.extendedHighestSeq - this.baseSeq + 1;
  }

  /** Cumulative lost, clamped to the signed 24-bit range of the report block (A.3). */
  get cumulativeLost(): number {
    const lost = this.expected - this.received;
    return Math.max(-0x800000, Math.min(0x7fffff, lost));
  }

  /** Interarrival jitter estimate in timestamp units (fractional). */
  get jitter(): number {
    return this.jitterQ;
  }

  /** Note an SR from this source, for LSR/DLSR (RFC 3550 §6.4.1). */
  onSenderReport(ntpMsw: number, ntpLsw: number, arrivalMs: number): void {
    this.lastSrMiddle = (((ntpMsw & 0xffff) << 16) | (ntpLsw >>> 16)) >>> 0;
    this.lastSrArrivalMs = arrivalMs;
    this.haveSr = true;
  }

  /**
   * Build a report block at `nowMs` and start a new interval for fraction lost (A.3): call it
   * exactly once per RTCP report sent.
   */
  report(nowMs: number): ReceptionReport {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.received - this.receivedPrior;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    return {
      ssrc: this.ssrc ?? 0,
      fractionLost: Math.min(255, fractionLost),
      cumulativeLost: this.cumulativeLost,
      extendedHighestSeq: this.extendedHighestSeq >>> 0,
      jitter: Math.floor(this.jitterQ) >>> 0,
      lsr: this.haveSr ? this.lastSrMiddle : 0,
      dlsr: this.haveSr ? Math.round(((nowMs - this.lastSrArrivalMs) * 65536) / 1000) >>> 0 : 0,
    };
  }
}

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2208988800;

/** Unix milliseconds → 64-bit NTP timestamp as two 32-bit words (RFC 3550 §4). */
export function ntpFromUnixMs(ms: number): { msw: number; lsw: number } {
  const sec = Math.floor(ms / 1000);
  const frac = ms / 1000 - sec;
  return { msw: (sec + NTP_UNIX_OFFSET) >>> 0, lsw: Math.floor(frac * 2 ** 32) >>> 0 };
}

/** The middle 32 bits of the NTP timestamp for `ms`, the unit of LSR and of "A" in §6.4.1. */
export function ntpMiddleFromUnixMs(ms: number): number {
  const { msw, lsw } = ntpFromUnixMs(ms);
  return (((msw & 0xffff) << 16) | (lsw >>> 16)) >>> 0;
}

/**
 * Round-trip time in ms from a report block received at NTP-middle time `arrival`
 * (RFC 3550 §6.4.1: A − LSR − DLSR, in 1/65536 s). Undefined if the peer had no SR yet (LSR 0).
 */
export function roundTripMs(arrival: number, lsr: number, dlsr: number): number | undefined {
  if (lsr === 0) return undefined;
  const units = (arrival - lsr - dlsr) | 0; // modulo 2^32; negative means clocks disagree
  return Math.max(0, (units * 1000) / 65536);
}
