/**
 * A fixed-bucket histogram of milliseconds for the media ticker's health (how late each tick
 * started, how long its work took, how far apart consecutive ticks ran). Fixed buckets so
 * `observe` is a few compares and an increment — it runs 50 times a second per worker and must
 * never allocate — and so snapshots from several workers add up bucket by bucket.
 */

/** Upper bounds (ms, inclusive) of the buckets; the last bucket is everything above. */
export const TICK_BUCKETS_MS: readonly number[] = [0.25, 0.5, 1, 2, 3, 5, 10, 20, 40, 100];

/** A JSON-able copy: `counts[i]` observations ≤ TICK_BUCKETS_MS[i] (and > the previous bound); the last entry is > 100 ms. */
export interface TickHistogramSnapshot {
  counts: number[];
  count: number;
  sumMs: number;
  maxMs: number;
}

export class TickHistogram {
  private readonly counts = new Float64Array(TICK_BUCKETS_MS.length + 1);
  private count = 0;
  private sum = 0;
  private max = 0;

  observe(ms: number): void {
    const b = TICK_BUCKETS_MS;
    let i = 0;
    while (i < b.length && ms > b[i]) i++;
    this.counts[i]++;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  snapshot(): TickHistogramSnapshot {
    return { counts: Array.from(this.counts), count: this.count, sumMs: this.sum, maxMs: this.max };
  }

  /** Observations strictly above `ms` (a bucket bound), e.g. ticks more than 2 ms late. */
  above(ms: number): number {
    let n = 0;
    for (let i = 0; i < this.counts.length; i++) if (i === TICK_BUCKETS_MS.length || TICK_BUCKETS_MS[i] > ms) n += this.counts[i];
    return n;
  }
}

/** Bucket-wise sum of snapshots (several workers → one engine-wide view). */
export function mergeTickHistograms(all: readonly TickHistogramSnapshot[]): TickHistogramSnapshot {
  const out: TickHistogramSnapshot = { counts: new Array<number>(TICK_BUCKETS_MS.length + 1).fill(0), count: 0, sumMs: 0, maxMs: 0 };
  for (const h of all) {
    h.counts.forEach((c, i) => { out.counts[i] += c; });
    out.count += h.count;
    out.sumMs += h.sumMs;
    if (h.maxMs > out.maxMs) out.maxMs = h.maxMs;
  }
  return out;
}

/** The smallest bucket bound below which a share `q` (0–1) of observations fall (Infinity when in the overflow bucket). */
export function tickQuantileBoundMs(h: TickHistogramSnapshot, q: number): number {
  const target = q * h.count;
  let acc = 0;
  for (let i = 0; i < h.counts.length; i++) {
    acc += h.counts[i];
    if (acc >= target && h.count > 0) return i < TICK_BUCKETS_MS.length ? TICK_BUCKETS_MS[i] : Infinity;
  }
  return 0;
}
