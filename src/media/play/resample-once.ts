/**
 * Whole-buffer resampling for prompts, done once at load (never per frame): the output is
 * aligned with the input (the filter's group delay is trimmed) and is round(n·out/in) long.
 *
 * The dsp Resampler refuses ratios whose reduced terms exceed 64, and the 11.025 kHz family
 * against the 8 kHz family needs more (44.1 → 8 kHz is 80:441). Such ratios go through two
 * Resampler stages whose terms each stay ≤ 64 (44.1 → 33.6 → 8 kHz: 16/21 then 5/21), picking
 * the split with the lowest intermediate rate that is still ≥ min(in, out), so no band the output
 * can carry is lost in between. Ratios that no two-stage split covers fail UNSUPPORTED_FORMAT.
 */
import { Resampler } from '../dsp/index.ts';
import { PlayError } from './play-error.ts';

const MAX_TERM = 64;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The rates to pass through, first to last (length 2 = one stage, 3 = two stages). */
export function resamplePlan(inRate: number, outRate: number): number[] {
  const g = gcd(inRate, outRate);
  const up = outRate / g;
  const down = inRate / g;
  if (up <= MAX_TERM && down <= MAX_TERM) return [inRate, outRate];
  let best: number | undefined;
  for (let u1 = 1; u1 <= Math.min(up, MAX_TERM); u1++) {
    if (up % u1 !== 0 || up / u1 > MAX_TERM) continue;
    for (let d1 = 1; d1 <= Math.min(down, MAX_TERM); d1++) {
      if (down % d1 !== 0 || down / d1 > MAX_TERM) continue;
      const mid = (inRate * u1) / d1; // integer: inRate = g·down and d1 | down
      if (mid < Math.min(inRate, outRate)) continue;
      if (best === undefined || mid < best) best = mid;
    }
  }
  if (best === undefined) {
    throw new PlayError('UNSUPPORTED_FORMAT', `cannot resample ${inRate} Hz to ${outRate} Hz (ratio ${up}:${down} too complex)`);
  }
  return [inRate, best, outRate];
}

/** Resample a whole signal from inRate to outRate; returns the input itself when equal. */
export function resampleOnce(samples: Int16Array, inRate: number, outRate: number): Int16Array {
  if (inRate === outRate) return samples;
  const plan = resamplePlan(inRate, outRate);
  let x = samples;
  for (let i = 1; i < plan.length; i++) x = stage(x, plan[i - 1], plan[i]);
  return x;
}

function stage(x: Int16Array, inRate: number, outRate: number): Int16Array {
  const r = new Resampler(inRate, outRate);
  const want = Math.round((x.length * outRate) / inRate);
  const skip = Math.round(r.delay);
  // Feed the signal, then enough zeros to flush the filter's delay line past the last sample.
  const flushIn = Math.ceil(((skip + 2) * inRate) / outRate) + r.taps;
  const tmp = new Int16Array(r.maxOutput(x.length) + r.maxOutput(flushIn));
  let n = 0;
  const CHUNK = 4800; // bounded work buffer inside the Resampler
  for (let i = 0; i < x.length; i += CHUNK) n += r.process(x.subarray(i, Math.min(x.length, i + CHUNK)), tmp.subarray(n));
  n += r.process(new Int16Array(flushIn), tmp.subarray(n));
  const out = new Int16Array(want);
  out.set(tmp.subarray(skip, Math.min(n, skip + want)));
  return out;
}
