/**
 * One-shot resampling of a whole prompt between ANY two rates (22050 → 8000 for espeak-ng on a
 * phone call), which the streaming polyphase Resampler in src/media cannot do when the reduced
 * ratio is large (8000/22050 = 160/441). Windowed-sinc (Blackman, 32 zero crossings each side at
 * the lower of the two Nyquists), evaluated directly per output sample: O(n·64) — fine for prompts
 * resampled once at load, far too slow for the per-packet path (use Resampler there).
 */
export function resamplePrompt(x: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate) return x.slice();
  const ratio = toRate / fromRate;
  const n = Math.floor(x.length * ratio);
  const y = new Int16Array(n);
  // Cut-off as a fraction of the input rate; below 1 when downsampling, to stop aliasing.
  const fc = Math.min(1, ratio) * 0.95;
  const zeros = 32;
  const half = Math.ceil(zeros / fc);
  for (let i = 0; i < n; i++) {
    const t = i / ratio; // position in input samples
    const c = Math.floor(t);
    let acc = 0;
    let wsum = 0;
    for (let k = c - half + 1; k <= c + half; k++) {
      const d = t - k;
      const ad = Math.abs(d);
      if (ad >= half) continue;
      const w = 0.42 + 0.5 * Math.cos((Math.PI * d) / half) + 0.08 * Math.cos((2 * Math.PI * d) / half);
      const s = ad < 1e-9 ? 1 : Math.sin(Math.PI * fc * d) / (Math.PI * fc * d);
      const h = w * s;
      wsum += h;
      if (k >= 0 && k < x.length) acc += x[k] * h;
    }
    const v = Math.round(acc / wsum);
    y[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return y;
}
