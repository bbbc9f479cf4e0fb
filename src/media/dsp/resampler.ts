/**
 * Streaming rational resampler between 8, 16, 24 and 48 kHz (any pair whose ratio reduces to
 * small integers) with a Kaiser-windowed-sinc low-pass applied as a polyphase FIR.
 *
 * The output rate is in·L/M. Conceptually the input is upsampled by L (zeros inserted), low-pass
 * filtered at min(in, out)/2 so neither images (upsampling) nor aliases (downsampling) survive,
 * and decimated by M; the polyphase form computes only the outputs kept, K taps each.
 * State (the last K−1 input samples and the phase) carries over between calls, so 20 ms frames
 * join without clicks. After construction nothing is allocated as long as frames do not grow.
 */

export interface ResamplerOptions {
  /** FIR taps per output sample at the wider of the two ratios' sides. Default 32. */
  tapsPerPhase?: number;
  /** Kaiser window β: stop-band attenuation about 8.7·β + 11 dB when β > 4. Default 6 (≈ 63 dB). */
  kaiserBeta?: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (series), for the Kaiser window. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

export class Resampler {
  readonly inRate: number;
  readonly outRate: number;
  /** Upsampling factor. */
  readonly up: number;
  /** Downsampling factor. */
  readonly down: number;
  /** Taps per polyphase branch. */
  readonly taps: number;
  /** Group delay of the filter, in output samples (fractional). */
  readonly delay: number;
  /** Branch p's taps, reversed so the inner loop walks history forwards: coeffs[p·taps + k]. */
  private readonly coeffs: Float32Array;
  private work: Float32Array;
  /** Index, in the upsampled stream relative to the current block's first input, of the next output. */
  private t = 0;

  constructor(inRate: number, outRate: number, opts: ResamplerOptions = {}) {
    if (!(inRate > 0 && outRate > 0 && Number.isInteger(inRate) && Number.isInteger(outRate))) {
      throw new RangeError('sample rates must be positive integers');
    }
    const g = gcd(inRate, outRate);
    this.inRate = inRate;
    this.outRate = outRate;
    this.up = outRate / g;
    this.down = inRate / g;
    if (this.up > 64 || this.down > 64) throw new RangeError(`ratio ${outRate}/${inRate} too complex for this resampler`);
    const L = this.up;
    const K = Math.ceil(((opts.tapsPerPhase ?? 32) * Math.max(this.up, this.down)) / L);
    this.taps = K;
    const N = K * L;
    const beta = opts.kaiserBeta ?? 6;
    // Cut-off at half the lower rate, as a fraction of the upsampled rate in·L.
    const fc = Math.min(inRate, outRate) / 2 / (inRate * L);
    const h = new Float64Array(N);
    // An odd window length puts the centre on a sample, so the delay is a whole number of
    // upsampled samples and round trips can be aligned exactly; a spare last tap stays zero.
    const used = N % 2 === 1 ? N : N - 1;
    const mid = (used - 1) / 2;
    const i0b = besselI0(beta);
    let sum = 0;
    for (let n = 0; n < used; n++) {
      const x = n - mid;
      const sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
      const r = (2 * n) / (used - 1) - 1;
      const w = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0b;
      h[n] = sinc * w;
      sum += h[n];
    }
    // DC gain L so that the zero-stuffed signal comes back at its original level.
    this.coeffs = new Float32Array(N);
    for (let p = 0; p < L; p++) {
      for (let k = 0; k < K; k++) this.coeffs[p * K + (K - 1 - k)] = (h[p + k * L] * L) / sum;
    }
    this.delay = mid / this.down;
    this.work = new Float32Array(K - 1 + 960);
    // Skip the taps that are zero but for rounding: for a 2:1 ratio (8 ↔ 16, 24 ↔ 48 kHz) the cut-off
    // is a quarter of the upsampled rate, a half-band filter whose every other tap is sin(kπ) ≈ 1e-17,
    // so half the multiply-adds (measured: bench/media-mix.bench.ts, resampler rows) were for nothing.
    // Their share of any output is < 1e-9 of full scale: outputs are unchanged after rounding to int16.
    let peak = 0;
    for (let i = 0; i < N; i++) peak = Math.max(peak, Math.abs(this.coeffs[i]));
    const keep: number[] = [];
    const starts = new Int32Array(L + 1);
    for (let p = 0; p < L; p++) {
      starts[p] = keep.length;
      for (let k = 0; k < K; k++) if (Math.abs(this.coeffs[p * K + k]) > peak * 1e-9) keep.push(p * K + k);
    }
    starts[L] = keep.length;
    if (keep.length <= N * 0.75) {
      this.sparseStart = starts;
      this.sparseTap = Int32Array.from(keep, (i) => i % K);
      this.sparseCoeff = Float32Array.from(keep, (i) => this.coeffs[i]);
    }
  }

  /** Non-negligible taps only, when they are ≤ 75 % of all (half-band ratios): phase p uses [start[p], start[p+1]). */
  private readonly sparseStart: Int32Array | undefined;
  private readonly sparseTap: Int32Array | undefined;
  private readonly sparseCoeff: Float32Array | undefined;

  /** Upper bound of the outputs produced for `n` inputs (size output arrays with it). */
  maxOutput(n: number): number {
    return Math.ceil((n * this.up) / this.down) + 1;
  }

  /**
   * Resample `n` samples of `input` (default all) into `output`; returns how many were written.
   * `output` must hold {@link maxOutput}(n) samples.
   */
  process(input: Int16Array, output: Int16Array, n = input.length): number {
    const K = this.taps;
    const L = this.up;
    const M = this.down;
    const hist = K - 1;
    if (this.work.length < hist + n) {
      const w = new Float32Array(hist + n);
      w.set(this.work.subarray(0, hist));
      this.work = w;
    }
    const work = this.work;
    for (let i = 0; i < n; i++) work[hist + i] = input[i];
    const c = this.coeffs;
    let t = this.t;
    let produced = 0;
    const limit = n * L;
    const st = this.sparseStart;
    const tap = this.sparseTap;
    const sc = this.sparseCoeff;
    // The sparse/dense choice is made once per block, not per output sample: two copies of the
    // same loop, differing only in the inner multiply-add (same order of additions: bit-identical).
    // work[base .. base+K) holds x[base−K+1 .. base]; the coefficient rows are reversed to match.
    if (st && tap && sc) {
      while (t < limit) {
        const base = Math.floor(t / L); // newest input index used, relative to this block
        const phase = t - base * L;
        let acc = 0;
        for (let j = st[phase], e = st[phase + 1]; j < e; j++) acc += work[base + tap[j]] * sc[j];
        const s = Math.round(acc);
        output[produced++] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
        t += M;
      }
    } else {
      while (t < limit) {
        const base = Math.floor(t / L);
        const phase = t - base * L;
        let acc = 0;
        for (let k = 0, ci = phase * K; k < K; k++) acc += work[base + k] * c[ci + k];
        const s = Math.round(acc);
        output[produced++] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
        t += M;
      }
    }
    this.t = t - limit;
    // Keep the last K−1 inputs as history for the next block.
    work.copyWithin(0, n, n + hist);
    return produced;
  }

  /** Forget history (e.g. after a stream restart). */
  reset(): void {
    this.work.fill(0);
    this.t = 0;
  }
}
