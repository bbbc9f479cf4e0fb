/**
 * Deterministic signal synthesis and spectral measurement for the media tests and benchmarks:
 * tones, seeded noise, speech-like and music-like signals, tone level/frequency, band energy.
 * Test support only: not exported from the media index and not for the per-packet path.
 */
import { goertzelCoefficient, goertzelPower } from './goertzel.ts';

/** Seeded PRNG (mulberry32) → [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal variates from a uniform source (Box–Muller). */
export function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(rand() + 1e-300)) * Math.cos(2 * Math.PI * rand());
}

/** Sum of sines {f, a} at `fs`, n samples, as floats. */
export function tones(n: number, fs: number, parts: { f: number; a: number; phase?: number }[]): Float64Array {
  const x = new Float64Array(n);
  for (const p of parts) {
    const w = (2 * Math.PI * p.f) / fs;
    for (let i = 0; i < n; i++) x[i] += p.a * Math.sin(w * i + (p.phase ?? 0));
  }
  return x;
}

/** Round and clip floats to Int16. */
export function toInt16(x: ArrayLike<number>): Int16Array {
  const y = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = Math.max(-32768, Math.min(32767, Math.round(x[i])));
  return y;
}

/** Mean power Σx²/n. */
export function power(x: ArrayLike<number>, start = 0, n = x.length - start): number {
  let e = 0;
  for (let i = start; i < start + n; i++) e += x[i] * x[i];
  return e / n;
}

/** Amplitude of a sinusoid at `f` in x[start..start+n), Hann-windowed (robust off-bin). */
export function toneAmplitude(x: ArrayLike<number>, fs: number, f: number, start = 0, n = x.length - start): number {
  const w = hann(x, start, n);
  const p = goertzelPower(w, 0, n, goertzelCoefficient(f, fs));
  return (Math.sqrt(p) * 2) / (n * 0.5); // Hann coherent gain 0.5
}

/** Frequency of the strongest component between lo and hi (step Hz), Hann-windowed. */
export function peakFrequency(x: ArrayLike<number>, fs: number, lo: number, hi: number, step = 1): number {
  const w = hann(x, 0, x.length);
  let best = lo;
  let bestP = -1;
  for (let f = lo; f <= hi; f += step) {
    const p = goertzelPower(w, 0, w.length, goertzelCoefficient(f, fs));
    if (p > bestP) { bestP = p; best = f; }
  }
  return best;
}

/** Energy of the Hann-windowed spectrum summed over DFT bins whose frequency is in [lo, hi]. */
export function bandEnergy(x: ArrayLike<number>, fs: number, lo: number, hi: number): number {
  const n = x.length;
  const w = hann(x, 0, n);
  let e = 0;
  for (let k = Math.ceil((lo * n) / fs); k <= Math.floor((hi * n) / fs) && k <= n / 2; k++) {
    e += goertzelPower(w, 0, n, goertzelCoefficient((k * fs) / n, fs));
  }
  return e;
}

function hann(x: ArrayLike<number>, start: number, n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = x[start + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)));
  return w;
}

/** DTMF frequencies (ITU-T Q.23): digit → [row Hz, column Hz]. */
export const DTMF_FREQS: Record<string, [number, number]> = (() => {
  const rows = [697, 770, 852, 941];
  const cols = [1209, 1336, 1477, 1633];
  const keys = ['123A', '456B', '789C', '*0#D'];
  const m: Record<string, [number, number]> = {};
  keys.forEach((r, i) => [...r].forEach((k, j) => { m[k] = [rows[i], cols[j]]; }));
  return m;
})();

/**
 * Synthesize a digit string at 8 kHz: each digit a two-tone burst of `toneMs`, separated by
 * `gapMs` of silence, per-tone amplitude `amp`, then white noise at `snrDb` below the tone power.
 */
export function dtmfSignal(
  digits: string,
  opts: { toneMs: number | ((i: number) => number); gapMs: number; amp?: number; snrDb?: number; seed?: number; leadMs?: number },
): Int16Array {
  const fs = 8000;
  const amp = opts.amp ?? 6000;
  const parts: Float64Array[] = [new Float64Array(((opts.leadMs ?? 50) * fs) / 1000)];
  [...digits].forEach((d, i) => {
    const ms = typeof opts.toneMs === 'number' ? opts.toneMs : opts.toneMs(i);
    const [r, c] = DTMF_FREQS[d];
    parts.push(tones(Math.round((ms * fs) / 1000), fs, [{ f: r, a: amp, phase: i }, { f: c, a: amp, phase: 2 * i }]));
    parts.push(new Float64Array((opts.gapMs * fs) / 1000));
  });
  const total = parts.reduce((s, p) => s + p.length, 0);
  const x = new Float64Array(total);
  let o = 0;
  for (const p of parts) { x.set(p, o); o += p.length; }
  if (opts.snrDb !== undefined) {
    const sigma = Math.sqrt(amp * amp / 10 ** (opts.snrDb / 10)); // tone power = 2·A²/2 = A²
    const g = gaussian(rng(opts.seed ?? 1));
    for (let i = 0; i < total; i++) x[i] += sigma * g();
  }
  return toInt16(x);
}

/**
 * Voiced-speech-like signal at 8 kHz: harmonics of a fundamental gliding between 120 and 220 Hz,
 * shaped by three moving formant resonances, with syllable-rate amplitude modulation.
 */
export function speechLike(seconds: number, seed: number): Int16Array {
  const fs = 8000;
  const n = Math.round(seconds * fs);
  const rand = rng(seed);
  const x = new Float64Array(n);
  let phase = 0;
  const f1 = [300, 800], f2 = [900, 2200], f3 = [2300, 3000];
  let targets = [500, 1500, 2500];
  let cur = [...targets];
  let f0Target = 160;
  let f0 = 160;
  const harmonicPhases = new Float64Array(40);
  for (let i = 0; i < n; i++) {
    if (i % 800 === 0) { // new "syllable" every 100 ms
      targets = [f1[0] + rand() * (f1[1] - f1[0]), f2[0] + rand() * (f2[1] - f2[0]), f3[0] + rand() * (f3[1] - f3[0])];
      f0Target = 120 + rand() * 100;
    }
    f0 += (f0Target - f0) * 0.001;
    for (let k = 0; k < 3; k++) cur[k] += (targets[k] - cur[k]) * 0.002;
    phase += (2 * Math.PI * f0) / fs;
    let s = 0;
    for (let h = 1; h * f0 < 3800 && h < 40; h++) {
      const fh = h * f0;
      let g = 0;
      for (let k = 0; k < 3; k++) g += 1 / (1 + ((fh - cur[k]) / (60 + 30 * k)) ** 2) / (k + 1);
      s += g * Math.sin(h * phase + harmonicPhases[h]);
    }
    const env = 0.3 + 0.7 * Math.abs(Math.sin((Math.PI * i) / 1600));
    x[i] = 3000 * env * s;
  }
  return toInt16(x);
}

/** White noise at 8 kHz, RMS `rms`. */
export function whiteNoise(seconds: number, rms: number, seed: number): Int16Array {
  const g = gaussian(rng(seed));
  const x = new Float64Array(Math.round(seconds * 8000));
  for (let i = 0; i < x.length; i++) x[i] = rms * g();
  return toInt16(x);
}

/**
 * Music-like signal at 8 kHz: chords of 3–4 equal-tempered notes (major/minor triads and
 * sevenths), each note with a few decaying harmonics, a new chord every 250 ms.
 */
export function musicLike(seconds: number, seed: number): Int16Array {
  const fs = 8000;
  const n = Math.round(seconds * fs);
  const rand = rng(seed);
  const x = new Float64Array(n);
  const shapes = [[0, 4, 7], [0, 3, 7], [0, 4, 7, 10], [0, 3, 7, 10], [0, 4, 7, 11]];
  const chordLen = 2000;
  for (let c0 = 0; c0 < n; c0 += chordLen) {
    const root = 48 + Math.floor(rand() * 30); // MIDI C3..F#5
    const shape = shapes[Math.floor(rand() * shapes.length)];
    const notes = shape.map((s) => 440 * 2 ** ((root + s - 69) / 12));
    for (let i = 0; i < chordLen && c0 + i < n; i++) {
      const env = Math.exp(-i / 3000);
      let s = 0;
      for (const f of notes) for (let h = 1; h <= 4 && h * f < 3900; h++) s += Math.sin((2 * Math.PI * f * h * i) / fs) / h;
      x[c0 + i] = 2500 * env * s;
    }
  }
  return toInt16(x);
}
