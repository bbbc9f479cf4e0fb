/**
 * A small fixed-delay reorder ring for decoded inbound frames, used until (and wherever) the
 * adaptive jitter buffer of src/media/jitter is not wired in. It absorbs reordering and
 * jitter up to `delayFrames` × 20 ms; a missing frame plays as silence (no concealment here).
 * Allocation-free after construction: `capacity` frames are preallocated.
 *
 * Playout is anchored on the first packet's sequence number: frame `seq` is read `delayFrames`
 * ticks after it is due. When the sender jumps (restart, long gap) or playout falls too far
 * behind, the ring re-anchors on the next packet.
 */
export class InboundRing {
  private readonly frames: Int16Array[];
  private readonly seqs: Int32Array;
  private readonly mask: number;
  private readonly frameLen: number;
  private readonly delay: number;
  /** Next sequence number to play (extended, not wrapped), or -1 before the first packet. */
  private playSeq = -1;
  private lastSeq = 0;
  private started = false;
  /** Frames played as audio / as silence because they were missing. */
  played = 0;
  missing = 0;

  /** `capacity` must be a power of two larger than delayFrames (default 8). */
  constructor(frameLen: number, delayFrames = 2, capacity = 8) {
    this.frameLen = frameLen;
    this.delay = delayFrames;
    this.mask = capacity - 1;
    this.frames = Array.from({ length: capacity }, () => new Int16Array(frameLen));
    this.seqs = new Int32Array(capacity).fill(-1);
  }

  reset(): void {
    this.playSeq = -1;
    this.started = false;
    this.lastSeq = 0;
    this.seqs.fill(-1);
  }

  /** A slot to decode packet `seq` (16-bit) into, or undefined when it is too late or too early. */
  slot(seq16: number): Int16Array | undefined {
    // Extended numbers start one cycle up so reordering around the first packet never goes negative.
    let seq = seq16 + 0x10000;
    if (this.started) {
      // Unwrap against the last seen (extended) sequence number.
      const d = ((seq16 - (this.lastSeq & 0xffff) + 0x8000) & 0xffff) - 0x8000;
      seq = this.lastSeq + d;
    }
    this.started = true;
    if (this.playSeq < 0) {
      this.playSeq = seq - this.delay;
    } else {
      if (seq < this.playSeq) return undefined; // too late
      if (seq - this.playSeq > this.mask) {
        // Far ahead (gap or restart): re-anchor.
        this.seqs.fill(-1);
        this.playSeq = seq - this.delay;
      }
    }
    if (seq > this.lastSeq) this.lastSeq = seq;
    const i = seq & this.mask;
    this.seqs[i] = seq;
    return this.frames[i];
  }

  /** True once a packet has been received (playout running). */
  get active(): boolean {
    return this.playSeq >= 0;
  }

  /**
   * The frame due this tick, or undefined when it is missing (caller treats it as silence or
   * conceals). The returned frame stays valid until the next put into the same slot.
   */
  next(): Int16Array | undefined {
    if (this.playSeq < 0) return undefined;
    const seq = this.playSeq++;
    const i = seq & this.mask;
    if (this.seqs[i] === seq) {
      this.seqs[i] = -1;
      this.played++;
      return this.frames[i];
    }
    this.missing++;
    // Long silence from the peer (no packets for the whole ring): stop advancing and re-anchor on the next packet.
    if (this.playSeq - this.lastSeq > this.mask) this.playSeq = -1;
    return undefined;
  }

  get frameLength(): number {
    return this.frameLen;
  }
}
