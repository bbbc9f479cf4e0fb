/**
 * Goertzel single-frequency DFT: the power of one frequency over a block of samples, far cheaper
 * than an FFT when only a handful of frequencies matter (DTMF, tone detection, tests).
 * The coefficient is computed from the exact frequency, so it need not fall on a DFT bin.
 */

/** Precomputed 2·cos(2πf/fs) for {@link goertzelPower}. */
export function goertzelCoefficient(frequency: number, sampleRate: number): number {
  return 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
}

/**
 * |X(f)|² over x[start .. start+n). For a sine of amplitude A filling the block this is about
 * (A·n/2)²; divide by n²/4 and take the root for an amplitude estimate.
 */
export function goertzelPower(x: ArrayLike<number>, start: number, n: number, coeff: number): number {
  let s1 = 0;
  let s2 = 0;
  for (let i = start, end = start + n; i < end; i++) {
    const s0 = x[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/** Σ x² over x[start .. start+n): the block energy the Goertzel powers are compared with. */
export function blockEnergy(x: ArrayLike<number>, start: number, n: number): number {
  let e = 0;
  for (let i = start, end = start + n; i < end; i++) e += x[i] * x[i];
  return e;
}
