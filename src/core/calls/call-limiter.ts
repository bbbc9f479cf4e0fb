// Admission of new calls per application (issue 4 limits): at most maxConcurrentCalls live at
// once, and at most callsPerSecond started, measured by a token bucket per application that
// holds up to max(1, callsPerSecond) tokens and refills callsPerSecond per second on the
// Clock — so a burst of one second's worth passes, a sustained rate above it does not.
// Inbound and outbound calls share both limits.
//
// Node-local: counts are of this process's live calls (clustered nodes would each allow the
// limit; shared counting is not built). It never rejects anything itself: CallService decides
// what a refusal means (a SIP status inbound, an API error outbound).
import type { Clock } from '../../lib/index.ts';

export type Admission = { ok: true } | { ok: false; limit: 'concurrent' | 'rate' };

interface Bucket {
  tokens: number;
  at: number;
}

export class CallLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly clock: Clock) {}

  /**
   * Whether one more call of `applicationId` may start, given how many it has live; takes a
   * token when it may. A null limit is no limit.
   */
  admit(applicationId: string, live: number, limits: { maxConcurrentCalls: number | null; callsPerSecond: number | null }): Admission {
    if (limits.maxConcurrentCalls !== null && live >= limits.maxConcurrentCalls) return { ok: false, limit: 'concurrent' };
    const rate = limits.callsPerSecond;
    if (rate === null) {
      this.buckets.delete(applicationId);
      return { ok: true };
    }
    const capacity = Math.max(1, rate);
    const now = this.clock.now();
    const b = this.buckets.get(applicationId) ?? { tokens: capacity, at: now };
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    this.buckets.set(applicationId, b);
    if (b.tokens < 1) return { ok: false, limit: 'rate' };
    b.tokens -= 1;
    return { ok: true };
  }
}
