/**
 * A single-producer single-consumer ring of 20 ms PCM frames in a SharedArrayBuffer: how one
 * media worker hands decoded audio to another (relay-endpoint.ts) without a MessagePort hop.
 * The producer worker writes one frame per tick, the consumer worker reads one per tick; the
 * indices are Atomics so neither blocks the other, and nothing is allocated per frame.
 *
 * Layout (all views made once at construction):
 * ```
 *  Int32 header: [write, read, closed, linkRate, dropped, underruns, shed, reserved]
 *  Float64 stamps[capacity]  producer's hrtime (ms) when each slot was written (latency measurement)
 *  Int32  flags[capacity]    1 = the slot holds audio, 0 = silence (nothing heard, or muted)
 *  Int16  data[capacity × maxFrame]
 * ```
 * `write` and `read` are free-running counters (slot = counter mod capacity).
 *
 * Full ring: the PRODUCER drops the oldest frame (compare-and-swap on `read`, counted in
 * `dropped`) — a consumer that stalls must not make the producer wait or hear stale audio later.
 * Because the producer may thus take the slot the consumer is copying, the consumer copies
 * first and only then claims the slot with the same compare-and-swap; if it lost the race it
 * discards the (possibly torn) copy and retries.
 *
 * Empty ring: the consumer gets 'empty' (counted in `underruns`) and plays silence.
 *
 * Latency bound: the two workers' 20 ms grids have some fixed phase offset, so normally one frame
 * is waiting when the consumer reads (latency < 1 tick). Tick jitter can flip the order once
 * (an underrun, then two frames waiting), which would otherwise keep an extra tick of delay
 * forever: the consumer sheds one frame when two or more have been waiting for
 * SHED_AFTER_READS reads in a row, and at once when more than MAX_WAITING are (counted in `shed`).
 */

const H_WRITE = 0;
const H_READ = 1;
const H_CLOSED = 2;
const H_RATE = 3;
const H_DROPPED = 4;
const H_UNDERRUNS = 5;
const H_SHED = 6;
const HEADER_INTS = 8;

/** Default slots per ring: 4 × 20 ms, enough to ride out a consumer stall of 3 ticks. */
export const FRAME_RING_CAPACITY = 4;
/** Default largest frame: 20 ms at 48 kHz (Opus media rate), so any link rate fits. */
export const FRAME_RING_MAX_FRAME = 960;
/** More frames than this waiting at a read: shed down to it at once. */
const MAX_WAITING = 2;
/** Two frames waiting at this many reads in a row (1 s): shed one, back to < 1 tick of delay. */
const SHED_AFTER_READS = 50;

export type FrameReadResult = 'audio' | 'silence' | 'empty';

export class FrameRing {
  readonly sab: SharedArrayBuffer;
  readonly capacity: number;
  readonly maxFrame: number;
  private readonly header: Int32Array;
  private readonly stamps: Float64Array;
  private readonly flags: Int32Array;
  private readonly data: Int16Array;
  /** Consumer side only: reads in a row that found ≥ 2 frames waiting. */
  private backlogReads = 0;
  /** Consumer side only: the producer's write time of the frame last read (hrtime ms). */
  lastStampMs = 0;

  static byteLength(capacity: number, maxFrame: number): number {
    return HEADER_INTS * 4 + capacity * 8 + capacity * 4 + capacity * maxFrame * 2;
  }

  /** A new ring (a fresh SharedArrayBuffer) whose frames are 20 ms at `rate` (0 = set later with `rate =`). */
  static create(rate = 0, capacity = FRAME_RING_CAPACITY, maxFrame = FRAME_RING_MAX_FRAME): FrameRing {
    const r = new FrameRing(new SharedArrayBuffer(FrameRing.byteLength(capacity, maxFrame)), capacity, maxFrame);
    if (rate) r.rate = rate;
    return r;
  }

  /** A view on a ring made elsewhere (in another thread); `capacity`/`maxFrame` must match its creation. */
  constructor(sab: SharedArrayBuffer, capacity = FRAME_RING_CAPACITY, maxFrame = FRAME_RING_MAX_FRAME) {
    if (sab.byteLength !== FrameRing.byteLength(capacity, maxFrame)) throw new RangeError('frame ring: buffer size does not match capacity/maxFrame');
    this.sab = sab;
    this.capacity = capacity;
    this.maxFrame = maxFrame;
    let off = 0;
    this.header = new Int32Array(sab, off, HEADER_INTS);
    off += HEADER_INTS * 4;
    this.stamps = new Float64Array(sab, off, capacity); // off is a multiple of 8 (32)
    off += capacity * 8;
    this.flags = new Int32Array(sab, off, capacity);
    off += capacity * 4;
    this.data = new Int16Array(sab, off, capacity * maxFrame);
  }

  /** The link rate (Hz): every frame is rate/50 samples. 0 until set. */
  get rate(): number {
    return Atomics.load(this.header, H_RATE);
  }

  set rate(r: number) {
    if (!(Number.isInteger(r) && r > 0 && r % 50 === 0 && r / 50 <= this.maxFrame)) throw new RangeError(`frame ring: unsupported rate ${r}`);
    Atomics.store(this.header, H_RATE, r);
  }

  /** Samples per frame at the link rate. */
  get frameSize(): number {
    return this.rate / 50;
  }

  /** Either side (or the main thread) ends the link; both relays see it on their next tick. */
  close(): void {
    Atomics.store(this.header, H_CLOSED, 1);
  }

  get closed(): boolean {
    return Atomics.load(this.header, H_CLOSED) !== 0;
  }

  get dropped(): number {
    return Atomics.load(this.header, H_DROPPED);
  }

  get underruns(): number {
    return Atomics.load(this.header, H_UNDERRUNS);
  }

  get shed(): number {
    return Atomics.load(this.header, H_SHED);
  }

  /** Frames written and not yet read. */
  get waiting(): number {
    return Atomics.load(this.header, H_WRITE) - Atomics.load(this.header, H_READ);
  }

  /**
   * Producer: append one frame (`frame` = frameSize samples, or undefined / have=false for
   * silence). A full ring loses its oldest frame.
   */
  write(frame: Int16Array | undefined, have: boolean, stampMs: number): void {
    const h = this.header;
    const w = Atomics.load(h, H_WRITE);
    for (;;) {
      const r = Atomics.load(h, H_READ);
      if (w - r < this.capacity) break;
      if (Atomics.compareExchange(h, H_READ, r, r + 1) === r) Atomics.add(h, H_DROPPED, 1);
    }
    const slot = w % this.capacity;
    const n = this.frameSize;
    const base = slot * this.maxFrame;
    const audio = have && frame !== undefined;
    if (audio) {
      const d = this.data;
      const m = Math.min(n, frame.length);
      for (let i = 0; i < m; i++) d[base + i] = frame[i];
      for (let i = m; i < n; i++) d[base + i] = 0;
    }
    this.flags[slot] = audio ? 1 : 0;
    this.stamps[slot] = stampMs;
    // Publishes the slot: Atomics.store is sequentially consistent, so the consumer that sees the
    // new `write` also sees the data written before it.
    Atomics.store(h, H_WRITE, w + 1);
  }

  /** Consumer: take the oldest frame into `out` (frameSize samples; zeroed for silence/empty). */
  read(out: Int16Array): FrameReadResult {
    const h = this.header;
    const n = this.frameSize;
    for (;;) {
      const w = Atomics.load(h, H_WRITE);
      let r = Atomics.load(h, H_READ);
      const waiting = w - r;
      if (waiting <= 0) {
        this.backlogReads = 0;
        Atomics.add(h, H_UNDERRUNS, 1);
        out.fill(0, 0, n);
        return 'empty';
      }
      let skip = 0;
      if (waiting > MAX_WAITING) {
        skip = waiting - MAX_WAITING;
        this.backlogReads = 0;
      } else if (waiting === MAX_WAITING) {
        if (++this.backlogReads >= SHED_AFTER_READS) {
          skip = 1;
          this.backlogReads = 0;
        }
      } else {
        this.backlogReads = 0;
      }
      if (skip > 0) {
        if (Atomics.compareExchange(h, H_READ, r, r + skip) !== r) continue; // the producer moved it
        Atomics.add(h, H_SHED, skip);
        r += skip;
      }
      const slot = r % this.capacity;
      const base = slot * this.maxFrame;
      const audio = this.flags[slot] === 1;
      const stamp = this.stamps[slot];
      if (audio) {
        const d = this.data;
        for (let i = 0; i < n; i++) out[i] = d[base + i]; // a loop, not subarray(): no view object per frame
      } else {
        out.fill(0, 0, n);
      }
      // Claim the slot only after copying: a failed swap means the producer dropped it meanwhile.
      if (Atomics.compareExchange(h, H_READ, r, r + 1) !== r) continue;
      this.lastStampMs = stamp;
      return audio ? 'audio' : 'silence';
    }
  }
}
