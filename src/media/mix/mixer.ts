/**
 * N-party conference mixer at one sample rate, 20 ms frames (legs at other rates are resampled
 * before pushFrame). Each participant hears everyone else (mix-minus: never themselves), with
 * per-participant gain, mute, listen-only and whisper (coach: heard by one named participant
 * only).
 *
 * Cost is O(N) per tick, not O(N²): the heard contributions are summed once into an Int32Array,
 * and each participant's mix is that sum minus their own contribution, plus the whispers aimed
 * at them (kept in a per-target sum only for participants somebody whispers to). Nothing is
 * allocated per tick.
 *
 * Saturation: the Int32 sum never wraps; on the way out to Int16 a soft knee keeps samples up to
 * ±{@link SOFT_KNEE} linear and compresses the rest smoothly (tanh) into ±32767, so ten loud
 * talkers distort gently instead of wrapping or clipping hard.
 *
 * One tick, as the engine's ticker drives it:
 * ```
 *   pushFrame(a), pushFrame(b) …   each participant with audio this tick (absent = silent)
 *   mixFor(a, out), mixFor(b, out) …   what each one hears (first call computes the sum)
 *   tick()                         forget this tick's frames
 * ```
 */

export interface ParticipantOptions {
  /** Not heard by anyone (hears as usual). Default false. */
  muted?: boolean;
  /** Gain applied to this participant's audio as others hear it, in dB. Default 0. */
  gain?: number;
  /** Hears the conference but is never heard (like muted, but meant as a role). Default false. */
  listenOnly?: boolean;
  /** Whisper/coach: only the participant with this id hears this one. Default: everyone hears. */
  hearsOnly?: string;
}

/** Samples within ±SOFT_KNEE pass unchanged; above it they are compressed towards ±32767. */
export const SOFT_KNEE = 24576;
const HEADROOM = 32767 - SOFT_KNEE;

interface Participant {
  id: string;
  muted: boolean;
  listenOnly: boolean;
  hearsOnly: string | undefined;
  gainDb: number;
  /** Linear gain, precomputed from gainDb. */
  gain: number;
  /** This tick's contribution (after gain), valid when pushed. */
  contrib: Int32Array;
  pushed: boolean;
  /** Whether contrib went into the common sum this tick (so mixFor must subtract it). */
  inSum: boolean;
  /** Sum of whispers aimed at this participant; allocated on first use. */
  whisper: Int32Array | undefined;
  whisperActive: boolean;
}

export class Mixer {
  readonly rate: number;
  /** Samples per 20 ms frame. */
  readonly frameSize: number;
  private readonly parts = new Map<string, Participant>();
  private readonly sum: Int32Array;
  /** The sum is stale until the first mixFor after pushes. */
  private dirty = true;

  constructor(rate: number) {
    if (!(Number.isInteger(rate) && rate > 0 && rate % 50 === 0)) throw new RangeError('rate must be a positive multiple of 50');
    this.rate = rate;
    this.frameSize = rate / 50;
    this.sum = new Int32Array(this.frameSize);
  }

  /** Number of participants. */
  get size(): number {
    return this.parts.size;
  }

  has(id: string): boolean {
    return this.parts.has(id);
  }

  /** Add a participant. Throws if the id is already present. */
  add(id: string, opts: ParticipantOptions = {}): void {
    if (this.parts.has(id)) throw new Error(`participant ${id} already in the mix`);
    const p: Participant = {
      id, muted: false, listenOnly: false, hearsOnly: undefined, gainDb: 0, gain: 1,
      contrib: new Int32Array(this.frameSize), pushed: false, inSum: false, whisper: undefined, whisperActive: false,
    };
    this.parts.set(id, p);
    this.apply(p, opts);
    this.dirty = true;
  }

  /** Remove a participant (no-op if absent). Whispers aimed at them are no longer heard. */
  remove(id: string): void {
    if (this.parts.delete(id)) this.dirty = true;
  }

  /** Change some options of a participant; omitted ones keep their value. Throws if absent. */
  set(id: string, opts: ParticipantOptions): void {
    const p = this.parts.get(id);
    if (!p) throw new Error(`no participant ${id}`);
    this.apply(p, opts);
    this.dirty = true;
  }

  /** Current options of a participant (gain in dB). */
  get(id: string): Required<Omit<ParticipantOptions, 'hearsOnly'>> & { hearsOnly?: string } | undefined {
    const p = this.parts.get(id);
    if (!p) return undefined;
    return { muted: p.muted, gain: p.gainDb, listenOnly: p.listenOnly, ...(p.hearsOnly !== undefined ? { hearsOnly: p.hearsOnly } : {}) };
  }

  /**
   * This tick's decoded input of `id` (frameSize samples; shorter frames are zero-padded). The
   * frame is copied. Pushing twice in one tick replaces the first frame.
   */
  pushFrame(id: string, frame: Int16Array): void {
    const p = this.parts.get(id);
    if (!p) throw new Error(`no participant ${id}`);
    const c = p.contrib;
    const n = Math.min(frame.length, c.length);
    const g = p.gain;
    if (g === 1) {
      for (let i = 0; i < n; i++) c[i] = frame[i];
    } else {
      for (let i = 0; i < n; i++) c[i] = Math.round(frame[i] * g);
    }
    if (n < c.length) c.fill(0, n);
    p.pushed = true;
    this.dirty = true;
  }

  /**
   * Fill `out` (frameSize samples) with what `id` hears this tick: everyone audible except
   * themselves, plus whispers to them, soft-clipped to Int16.
   */
  mixFor(id: string, out: Int16Array): void {
    const p = this.parts.get(id);
    if (!p) throw new Error(`no participant ${id}`);
    if (this.dirty) this.compute();
    const sum = this.sum;
    const n = Math.min(out.length, sum.length);
    const own = p.inSum ? p.contrib : undefined;
    const wh = p.whisperActive ? p.whisper : undefined;
    for (let i = 0; i < n; i++) {
      let s = sum[i];
      if (own) s -= own[i];
      if (wh) s += wh[i];
      out[i] = s > SOFT_KNEE || s < -SOFT_KNEE ? softClip(s) : s;
    }
    if (n < out.length) out.fill(0, n);
  }

  /** End the tick: forget every pushed frame so absent participants are silent next tick. */
  tick(): void {
    for (const p of this.parts.values()) {
      p.pushed = false;
      p.inSum = false;
      p.whisperActive = false;
    }
    this.sum.fill(0);
    this.dirty = true;
  }

  private compute(): void {
    const sum = this.sum;
    sum.fill(0);
    for (const p of this.parts.values()) {
      p.inSum = false;
      p.whisperActive = false;
    }
    for (const p of this.parts.values()) {
      if (!p.pushed || p.muted || p.listenOnly) continue;
      const c = p.contrib;
      if (p.hearsOnly !== undefined) {
        const target = this.parts.get(p.hearsOnly);
        if (!target || target === p) continue;
        if (!target.whisper) target.whisper = new Int32Array(this.frameSize);
        const w = target.whisper;
        if (!target.whisperActive) {
          w.set(c);
          target.whisperActive = true;
        } else {
          for (let i = 0; i < w.length; i++) w[i] += c[i];
        }
        continue;
      }
      for (let i = 0; i < sum.length; i++) sum[i] += c[i];
      p.inSum = true;
    }
    this.dirty = false;
  }

  private apply(p: Participant, opts: ParticipantOptions): void {
    if (opts.muted !== undefined) p.muted = opts.muted;
    if (opts.listenOnly !== undefined) p.listenOnly = opts.listenOnly;
    if ('hearsOnly' in opts) p.hearsOnly = opts.hearsOnly;
    if (opts.gain !== undefined) {
      if (!Number.isFinite(opts.gain)) throw new RangeError('gain must be a finite number of dB');
      p.gainDb = opts.gain;
      p.gain = 10 ** (opts.gain / 20);
    }
  }
}

/**
 * Map |s| > SOFT_KNEE smoothly into (SOFT_KNEE, 32767): continuous with slope 1 at the knee, so
 * loud sums bend instead of wrapping or flattening abruptly. Rare (only loud overlaps), so tanh
 * per sample is affordable.
 */
export function softClip(s: number): number {
  if (s > SOFT_KNEE) return Math.round(SOFT_KNEE + HEADROOM * Math.tanh((s - SOFT_KNEE) / HEADROOM));
  if (s < -SOFT_KNEE) return -Math.round(SOFT_KNEE + HEADROOM * Math.tanh((-s - SOFT_KNEE) / HEADROOM));
  return s;
}
