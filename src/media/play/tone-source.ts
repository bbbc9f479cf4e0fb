/**
 * Call-progress tones as an AudioSource: beep, ringback, busy, or any {freqs, onMs, offMs}.
 *
 *   beep      1000 Hz, 250 ms once (a short "record after the tone" / prompt beep)
 *   ringback  440 + 480 Hz, 2 s on / 4 s off, repeating (North American ringback, ANSI T1.401)
 *   busy      480 + 620 Hz, 0.5 s on / 0.5 s off, repeating (North American busy)
 *   custom    freqs (1–4), onMs, offMs; plays totalMs (default one on+off cycle), or forever
 *             when totalMs is 0
 *
 * Level: the sum of the tones peaks at −10 dBFS (each of n tones at 1/n of that). On/off edges
 * get a 2 ms raised-cosine ramp so the cadence does not click. Generation is a phase accumulator
 * over a 1024-entry sine table with linear interpolation (error < −110 dB): no Math.sin on the
 * per-frame path, phase continuous across frames and across cadence cycles, nothing allocated.
 */
import type { AudioSource } from '../audio.ts';

export type ToneName = 'beep' | 'ringback' | 'busy';
export interface ToneSpec {
  freqs: number[];
  onMs: number;
  offMs: number;
  /** Total length in ms; default one cycle (onMs + offMs); 0 = forever. */
  totalMs?: number;
}

/** The named tones; totalMs 0 = repeats until the source is closed. */
export const TONES: Readonly<Record<ToneName, Readonly<ToneSpec>>> = {
  beep: { freqs: [1000], onMs: 250, offMs: 0, totalMs: 250 },
  ringback: { freqs: [440, 480], onMs: 2000, offMs: 4000, totalMs: 0 },
  busy: { freqs: [480, 620], onMs: 500, offMs: 500, totalMs: 0 },
};

/** Peak of the summed tones: −10 dBFS. */
const PEAK = 32767 * 10 ** (-10 / 20);
const TABLE_BITS = 10;
const TABLE_SIZE = 1 << TABLE_BITS;
/** One sine cycle plus a guard sample so interpolation never wraps the index. */
const SINE = (() => {
  const t = new Float32Array(TABLE_SIZE + 1);
  for (let i = 0; i <= TABLE_SIZE; i++) t[i] = Math.sin((2 * Math.PI * i) / TABLE_SIZE);
  return t;
})();
const RAMP_MS = 2;

export class ToneSource implements AudioSource {
  readonly rate: number;
  private readonly steps: Float64Array;
  private readonly phases: Float64Array;
  private readonly amp: number;
  private readonly onSamples: number;
  private readonly cycleSamples: number;
  /** Samples to produce in total; Infinity = forever. */
  private readonly totalSamples: number;
  /** Raised-cosine gain for the first samples of an on period (mirrored at its end). */
  private readonly ramp: Float32Array;
  private pos = 0;
  private closed = false;

  constructor(spec: ToneName | ToneSpec, rate: number) {
    const s = typeof spec === 'string' ? TONES[spec] : spec;
    if (!s) throw new RangeError(`unknown tone ${String(spec)}`);
    if (!(s.freqs.length >= 1 && s.freqs.length <= 4) || s.freqs.some((f) => !(f > 0 && f < rate / 2))) {
      throw new RangeError(`tone frequencies must be 1–4 values between 0 and ${rate / 2} Hz`);
    }
    if (!(s.onMs > 0) || !(s.offMs >= 0)) throw new RangeError('tone onMs must be > 0 and offMs ≥ 0');
    this.rate = rate;
    // Phase in table units per sample.
    this.steps = Float64Array.from(s.freqs, (f) => (f * TABLE_SIZE) / rate);
    this.phases = new Float64Array(s.freqs.length);
    this.amp = PEAK / s.freqs.length;
    this.onSamples = Math.round((s.onMs * rate) / 1000);
    this.cycleSamples = this.onSamples + Math.round((s.offMs * rate) / 1000);
    const total = s.totalMs ?? s.onMs + s.offMs;
    this.totalSamples = total === 0 ? Infinity : Math.round((total * rate) / 1000);
    const rampLen = Math.min(Math.round((RAMP_MS * rate) / 1000), this.onSamples >> 1);
    this.ramp = Float32Array.from({ length: rampLen }, (_, i) => 0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / rampLen));
  }

  /** True while tone samples were written (a last partial frame is zero-padded); false after. */
  read(out: Int16Array): boolean {
    const n = this.fill(out, 0);
    if (n < out.length) out.fill(0, n);
    return n > 0;
  }

  /** Write up to out.length − offset samples from offset; returns how many (0 once done). */
  fill(out: Int16Array, offset: number): number {
    if (this.closed || this.pos >= this.totalSamples) return 0;
    const steps = this.steps;
    const phases = this.phases;
    const k = steps.length;
    const on = this.onSamples;
    const cycle = this.cycleSamples;
    const ramp = this.ramp;
    const rampLen = ramp.length;
    const amp = this.amp;
    let inCycle = this.pos % cycle;
    const n = Math.min(out.length - offset, this.totalSamples - this.pos);
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let j = 0; j < k; j++) {
        const p = phases[j];
        const idx = p | 0;
        v += SINE[idx] + (SINE[idx + 1] - SINE[idx]) * (p - idx);
        const q = p + steps[j];
        phases[j] = q >= TABLE_SIZE ? q - TABLE_SIZE : q;
      }
      let g = inCycle < on ? amp : 0;
      if (g !== 0) {
        if (inCycle < rampLen) g *= ramp[inCycle];
        else if (on - 1 - inCycle < rampLen) g *= ramp[on - 1 - inCycle];
      }
      out[offset + i] = Math.round(v * g);
      if (++inCycle === cycle) inCycle = 0;
    }
    this.pos += n;
    return n;
  }

  close(): void {
    this.closed = true;
  }
}
