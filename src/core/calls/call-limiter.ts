// Admission of new calls per application (issue 4 limits): at most maxConcurrentCalls live at
// once, and at most callsPerSecond started, measured by a token bucket per application that
// holds up to max(1, callsPerSecond) tokens and refills callsPerSecond per second on the
// Clock — so a burst of one second's worth passes, a sustained rate above it does not.
// Inbound and outbound calls share both limits.
//
// Node-local: counts are of this process's live calls (clustered nodes would each allow the
// limit; shared counting is not built). It never rejects anything itself: CallService decides
// what a refusal means (a SIP status inbound, an API error outbound).
//
// Buckets do not outlive their use: a bucket idle for IDLE_BUCKET_MS that has refilled to its
// capacity is dropped (swept at most once per SWEEP_INTERVAL_MS, on admit), since a full bucket
// admits exactly like a missing one. So a deleted application's bucket goes too, without the
// limiter having to hear of the delete. (Exact unless the application's rate is lowered below
// one per IDLE_BUCKET_MS meanwhile: then its first call after the idle spell is let through.)
import type { Clock } from '../../lib/index.ts';

export type Admission = { ok: true } | { ok: false; limit: 'concurrent' | 'rate' };

/** A bucket unused this long (and full again) is dropped: 10 minutes. */
export const IDLE_BUCKET_MS = 600_000;
/** Idle buckets are looked for at most this often: 1 minute (a sweep walks every bucket). */
export const SWEEP_INTERVAL_MS = 60_000;

interface Bucket {
  tokens: number;
  at: number;
  /** The callsPerSecond it last refilled at, to tell when it is full again. */
  rate: number;
}

export class CallLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private sweptAt: number;

  constructor(private readonly clock: Clock) {
    this.sweptAt = clock.now();
  }

  /** How many applications have a bucket now (for tests and diagnostics). */
  get bucketCount(): number {
    return this.buckets.size;
  }

  /**
   * Whether one more call of `applicationId` may start, given how many it has live; takes a
   * token when it may. A null limit is no limit.
   */
  admit(applicationId: string, live: number, limits: { maxConcurrentCalls: number | null; callsPerSecond: number | null }): Admission {
    this.sweep();
    if (limits.maxConcurrentCalls !== null && live >= limits.maxConcurrentCalls) return { ok: false, limit: 'concurrent' };
    const rate = limits.callsPerSecond;
    if (rate === null) {
      this.buckets.delete(applicationId);
      return { ok: true };
    }
    const capacity = Math.max(1, rate);
    const now = this.clock.now();
    const b = this.buckets.get(applicationId) ?? { tokens: capacity, at: now, rate };
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    b.rate = rate;
    this.buckets.set(applicationId, b);
    if (b.tokens < 1) return { ok: false, limit: 'rate' };
    b.tokens -= 1;
    return { ok: true };
  }

  /** Drops buckets idle for IDLE_BUCKET_MS and full again; runs at most once per SWEEP_INTERVAL_MS. */
  private sweep(): void {
    const now = this.clock.now();
    if (now - this.sweptAt < SWEEP_INTERVAL_MS) return;
    this.sweptAt = now;
    for (const [id, b] of this.buckets) {
      const idle = now - b.at;
      if (idle >= IDLE_BUCKET_MS && b.tokens + (idle / 1000) * b.rate >= Math.max(1, b.rate)) this.buckets.delete(id);
    }
  }
}
