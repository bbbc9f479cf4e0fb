/**
 * Adaptive jitter buffer for one RTP stream of decoded audio: packets go in with their sequence
 * number, RTP timestamp and arrival time; the engine's 20 ms ticker takes one frame out per tick.
 * It sits in front of recorders, detectors, speech and streaming, so what they see is in order,
 * gap-free and concealed where packets were lost.
 *
 * Storage is a ring of samples indexed by (extended) RTP timestamp, with a presence flag per
 * sample, so any packet duration (10, 20, 30, 40 ms … ptime) lands in the right place and is read
 * back as 20 ms frames. Timestamps are unwrapped to a float64 line (RFC 3550 §5.1: 32-bit wrap),
 * sequence numbers compared modulo 2^16 (wrap-safe), duplicates found in a 256-entry seq window.
 *
 * Playout delay ("level") is the audio buffered ahead of the play point at the moment get() runs.
 * - It starts at `initialDelayMs`.
 * - It grows when audio is not there in time: if nothing beyond the play point has arrived
 *   (underrun), or a packet arrives after its slot was played (late), get() conceals one frame
 *   without advancing the play point, which adds 20 ms of delay. If the audio of frames held
 *   back in an underrun never comes (a loss burst, not a delay spike), they are skipped once
 *   newer audio arrives, so a burst does not add delay.
 * - It shrinks when the level stays above target + 20 ms for 200 ms: one frame is skipped.
 *   The target is packetMs + 3·J (J = RFC 3550 §6.4.1 / A.8 interarrival jitter in ms), clamped to
 *   [minDelayMs, maxDelayMs]; before 50 packets have been seen it is `initialDelayMs`.
 * A frame whose samples are all missing while later audio exists is lost: the last good frame is
 * repeated with a linear fade over `fadeFrames` frames, then silence (packet loss concealment).
 *
 * Resets (buffer cleared, playout re-anchored on the new packet): SSRC change, a timestamp jump of
 * more than `resyncMs` either way (sender restart, long DTX/hold gap), or a packet too far ahead
 * to fit the ring.
 *
 * Stream state:
 * ```
 *   idle ──first put──▶ playing ──SSRC change / timestamp jump / reset()──▶ (re-anchored) playing
 * ```
 * Nothing is allocated per packet or per frame.
 */

export interface JitterBufferOptions {
  /** Media (RTP clock) rate in Hz; frames are rate/50 samples. Required. */
  rate: number;
  /** Lowest playout delay the adaptation aims for, ms. Default 20. */
  minDelayMs?: number;
  /** Highest playout delay; above it frames are dropped at once, ms. Default 200. */
  maxDelayMs?: number;
  /** Playout delay at the start of a stream and after a reset, ms. Default 40. */
  initialDelayMs?: number;
  /** Frames over which concealment fades the repeated frame to silence. Default 3. */
  fadeFrames?: number;
  /** Timestamp jump (either way) treated as a stream restart, ms. Default 1000. */
  resyncMs?: number;
}

export type JitterFrameKind = 'audio' | 'concealed' | 'silence';

export interface JitterBufferStats {
  /** Current playout delay (audio buffered ahead of the play point at the last get), ms. */
  delayMs: number;
  /** Delay the buffer is adapting towards, ms. */
  targetMs: number;
  /** RFC 3550 interarrival jitter estimate, ms. */
  jitterMs: number;
  /** Packets accepted into the buffer. */
  received: number;
  /** 20 ms frames with no audio at all while later audio existed. */
  lost: number;
  /** Frames filled by repeating the last frame with a fade (losses and underruns). */
  concealed: number;
  /** Packets that arrived after their slot was played (discarded). */
  late: number;
  /** Packets whose sequence number was already seen (discarded). */
  duplicates: number;
  /** Packets that arrived after a packet with a higher sequence number (kept). */
  reordered: number;
  /** get() calls with nothing buffered (delay grew by a frame). */
  underruns: number;
  /** Frames skipped to bring the delay back down. */
  dropped: number;
  /** Re-anchorings (SSRC change, timestamp jump, explicit reset). */
  resets: number;
}

const SEQ_WINDOW = 256;
/** Packets before the jitter estimate drives the target. */
const WARMUP_PACKETS = 50;
/** Consecutive ticks above target + 1 frame before a frame is skipped (10 = 200 ms). */
const SHRINK_AFTER_TICKS = 10;

export class JitterBuffer {
  readonly rate: number;
  /** Samples per 20 ms frame. */
  readonly frameSize: number;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private readonly initialDelay: number;
  private readonly fadeFrames: number;
  private readonly resync: number;
  private readonly ring: Int16Array;
  private readonly have: Uint8Array;
  private readonly mask: number;
  private readonly last: Int16Array;
  private readonly seen = new Int32Array(SEQ_WINDOW).fill(-1);

  private started = false;
  private ssrc: number | undefined;
  /** Extended timestamp of the next sample to play. */
  private playTs = 0;
  /** Extended timestamp one past the newest sample received. */
  private highestEnd = 0;
  /** First sample of the stream: earlier slots are pre-roll silence, not loss. */
  private startTs = 0;
  private refTs = 0;
  private refExt = 0;
  private highestSeq = 0;
  private prevTransit = 0;
  private haveTransit = false;
  private jitter = 0;
  private packetSamples = 0;
  private target: number;
  private lossRun = 0;
  private haveLast = false;
  private overTicks = 0;
  private growPending = false;
  /** Frames concealed in place (underrun) since audio last played. */
  private held = 0;
  private packetsSinceReset = 0;
  private level = 0;
  private readonly counters = { received: 0, lost: 0, concealed: 0, late: 0, duplicates: 0, reordered: 0, underruns: 0, dropped: 0, resets: 0 };

  constructor(opts: JitterBufferOptions) {
    const rate = opts.rate;
    if (!(Number.isInteger(rate) && rate > 0 && rate % 50 === 0)) throw new RangeError('rate must be a positive multiple of 50');
    this.rate = rate;
    this.frameSize = rate / 50;
    const ms = (x: number): number => Math.round((x * rate) / 1000);
    this.minDelay = ms(opts.minDelayMs ?? 20);
    this.maxDelay = Math.max(this.minDelay, ms(opts.maxDelayMs ?? 200));
    this.initialDelay = Math.min(this.maxDelay, Math.max(this.minDelay, ms(opts.initialDelayMs ?? 40)));
    this.fadeFrames = Math.max(1, opts.fadeFrames ?? 3);
    this.resync = ms(opts.resyncMs ?? 1000);
    this.target = this.initialDelay;
    // Room for the largest delay, a 120 ms packet and a frame, as a power of two.
    let cap = 1;
    while (cap < this.maxDelay + ms(120) + 2 * this.frameSize) cap <<= 1;
    this.ring = new Int16Array(cap);
    this.have = new Uint8Array(cap);
    this.mask = cap - 1;
    this.last = new Int16Array(this.frameSize);
  }

  /**
   * Add a decoded packet. `payload` is copied (any length up to ~120 ms). `ssrc`, when given,
   * resets the buffer on change. Never throws on odd input: duplicates, late and absurd packets
   * are counted and dropped.
   */
  put(seq: number, timestamp: number, payload: Int16Array, arrivalMs: number, ssrc?: number): void {
    const len = payload.length;
    if (len === 0 || len > this.ring.length >> 1) return;
    seq &= 0xffff;
    if (ssrc !== undefined) {
      if (this.ssrc !== undefined && ssrc !== this.ssrc && this.started) this.resetStream();
      this.ssrc = ssrc;
    }
    if (!this.started) {
      this.anchor(seq, timestamp, len);
    } else {
      if (this.seen[seq & (SEQ_WINDOW - 1)] === seq) {
        this.counters.duplicates++;
        return;
      }
      const ext = this.refExt + ((timestamp - this.refTs) | 0); // RFC 3550 §5.1 wrap-safe difference
      if (ext - this.highestEnd > this.resync || this.playTs - ext > this.resync || ext + len - this.playTs > this.ring.length) {
        this.resetStream();
        this.anchor(seq, timestamp, len);
      } else if (ext + len <= this.playTs) {
        this.counters.late++;
        // Audio is arriving after its time: give the play point one more frame of slack.
        if (this.level < this.maxDelay) this.growPending = true;
        return;
      }
    }
    const ext = this.refExt + ((timestamp - this.refTs) | 0);
    this.seen[seq & (SEQ_WINDOW - 1)] = seq;
    if (this.packetsSinceReset > 0 && ((((seq - this.highestSeq) << 16) >> 16) < 0)) this.counters.reordered++;
    else this.highestSeq = seq;
    // RFC 3550 A.8: J += (|D(i-1,i)| − J)/16 with D from transit times, here in ms.
    const transit = arrivalMs - (ext * 1000) / this.rate;
    if (this.haveTransit) this.jitter += (Math.abs(transit - this.prevTransit) - this.jitter) / 16;
    this.prevTransit = transit;
    this.haveTransit = true;
    // Store the part not already played.
    const from = Math.max(0, this.playTs - ext);
    let idx = (((ext + from) % this.ring.length) + this.ring.length) & this.mask;
    for (let i = from; i < len; i++, idx = (idx + 1) & this.mask) {
      this.ring[idx] = payload[i];
      this.have[idx] = 1;
    }
    if (ext + len > this.highestEnd) this.highestEnd = ext + len;
    this.refTs = timestamp;
    this.refExt = ext;
    this.packetSamples = len;
    this.counters.received++;
    this.packetsSinceReset++;
    if (this.packetsSinceReset >= WARMUP_PACKETS) {
      const t = Math.max(this.packetSamples, this.frameSize) + Math.round((3 * this.jitter * this.rate) / 1000);
      this.target = Math.min(this.maxDelay, Math.max(this.minDelay, t));
    }
  }

  /**
   * Fill `out` (frameSize samples) with the next 20 ms; call once per tick. 'audio' = received
   * audio (possibly with pre-roll or partial gaps as zeros), 'concealed' = faded repeat of the last
   * frame, 'silence' = nothing to play (before the first packet, or after the fade ran out).
   */
  get(out: Int16Array): JitterFrameKind {
    const F = this.frameSize;
    if (!this.started) {
      out.fill(0);
      return 'silence';
    }
    let level = this.highestEnd - this.playTs;
    // Too much buffered: drop at once to the target, or one frame after a sustained excess.
    if (level > this.maxDelay + F) {
      while (level > this.target) {
        this.skipFrame();
        level -= F;
      }
      this.overTicks = 0;
    } else if (level >= this.target + F) {
      if (++this.overTicks >= SHRINK_AFTER_TICKS) {
        this.skipFrame();
        level -= F;
        this.overTicks = 0;
      }
    } else {
      this.overTicks = 0;
    }
    this.level = level;
    // Underrun (the next frame is not all there and nothing newer is) or a late packet asked for
    // slack: conceal without advancing, which adds one frame of delay.
    if (level < F || (this.growPending && level < this.maxDelay)) {
      this.growPending = false;
      if (level < F) {
        this.counters.underruns++;
        this.held++;
      }
      return this.conceal(out);
    }
    this.growPending = false;
    // Frames held back during an underrun already had concealment played for them: if their
    // audio turns out to be lost rather than late, skip them instead of concealing twice.
    while (this.held > 0 && level >= 2 * F && this.presentIn(this.playTs) === 0) {
      this.playTs += F;
      level -= F;
      this.held--;
      this.counters.lost++;
    }
    this.held = 0;
    const ring = this.ring;
    const have = this.have;
    let idx = ((this.playTs % ring.length) + ring.length) & this.mask;
    let present = 0;
    for (let i = 0; i < F; i++, idx = (idx + 1) & this.mask) {
      if (have[idx]) {
        out[i] = ring[idx];
        have[idx] = 0;
        present++;
      } else {
        out[i] = 0;
      }
    }
    const preroll = this.playTs + F <= this.startTs;
    this.playTs += F;
    if (preroll) return 'silence';
    if (present === 0) {
      this.counters.lost++;
      return this.conceal(out);
    }
    this.last.set(out);
    this.haveLast = true;
    this.lossRun = 0;
    return 'audio';
  }

  /** Forget everything and wait for the next packet to re-anchor (counts as a reset). */
  reset(): void {
    if (this.started) this.resetStream();
  }

  stats(): JitterBufferStats {
    const ms = (samples: number): number => (samples * 1000) / this.rate;
    return { delayMs: ms(this.level), targetMs: ms(this.target), jitterMs: this.jitter, ...this.counters };
  }

  private anchor(seq: number, timestamp: number, len: number): void {
    this.started = true;
    this.refTs = timestamp;
    this.refExt = timestamp >>> 0;
    this.startTs = this.refExt;
    this.highestEnd = this.refExt;
    this.highestSeq = seq;
    // Pre-roll so that the first get() sees `target` of audio ahead (the packet plus silence).
    this.playTs = this.refExt + len - Math.max(this.target, len);
    this.level = Math.max(this.target, len);
  }

  private resetStream(): void {
    this.started = false;
    this.have.fill(0);
    this.seen.fill(-1);
    this.haveTransit = false;
    this.jitter = 0;
    this.packetsSinceReset = 0;
    this.target = this.initialDelay;
    this.overTicks = 0;
    this.growPending = false;
    this.held = 0;
    this.lossRun = 0;
    this.haveLast = false;
    this.counters.resets++;
  }

  /** Samples present in the frame starting at extended timestamp `ts`. */
  private presentIn(ts: number): number {
    let idx = ((ts % this.ring.length) + this.ring.length) & this.mask;
    let n = 0;
    for (let i = 0; i < this.frameSize; i++, idx = (idx + 1) & this.mask) n += this.have[idx];
    return n;
  }

  private skipFrame(): void {
    let idx = ((this.playTs % this.ring.length) + this.ring.length) & this.mask;
    for (let i = 0; i < this.frameSize; i++, idx = (idx + 1) & this.mask) this.have[idx] = 0;
    this.playTs += this.frameSize;
    this.counters.dropped++;
  }

  /** Repeat the last good frame with a linear fade; silence once the fade has run out. */
  private conceal(out: Int16Array): JitterFrameKind {
    this.lossRun++;
    const k = this.fadeFrames;
    const g0 = 1 - (this.lossRun - 1) / k;
    if (!this.haveLast || g0 <= 0) {
      out.fill(0);
      return 'silence';
    }
    const g1 = Math.max(0, 1 - this.lossRun / k);
    const F = this.frameSize;
    const last = this.last;
    for (let i = 0; i < F; i++) out[i] = Math.round(last[i] * (g0 + ((g1 - g0) * i) / F));
    this.counters.concealed++;
    return 'concealed';
  }
}
