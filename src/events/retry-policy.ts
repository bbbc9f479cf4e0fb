// When a failed webhook attempt is tried again, and when we give up. Exponential backoff with
// jitter: many deliveries failing at once (a receiver restarting) spread out instead of
// hammering it again in lockstep.

export interface RetryPolicy {
  /** Delay before the 2nd attempt; doubles each attempt after. Default 1000 ms. */
  baseDelayMs: number;
  /** Longest delay between attempts. Default 300000 ms (5 min). */
  maxDelayMs: number;
  /** Attempts in all (the first included) before the delivery is dead. Default 300. */
  maxAttempts: number;
  /** No retry once this long has passed since the delivery was enqueued. Default 86400000 ms (24 h). */
  maxAgeMs: number;
  /**
   * Fraction of each delay that is random: delay·(1 − jitter·r), r uniform in [0, 1).
   * Default 0.5 ("equal jitter": between half and all of the nominal delay).
   */
  jitter: number;
}

/**
 * With the defaults, attempt 1 is immediate, then 1, 2, 4, 8 … 256 s (each minus up to half by
 * jitter), then every 5 min; the 24 h age limit ends it first (~290 attempts), whichever is
 * earlier.
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  baseDelayMs: 1000,
  maxDelayMs: 300_000,
  maxAttempts: 300,
  maxAgeMs: 86_400_000,
  jitter: 0.5,
});

/** Delay after failed attempt number `attempt` (1-based); `random` in [0, 1). */
export function retryDelay(attempt: number, policy: RetryPolicy, random: number): number {
  const nominal = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(Math.max(0, attempt - 1), 40));
  return Math.max(0, Math.round(nominal * (1 - policy.jitter * random)));
}

/**
 * Which outcomes are worth another attempt: no response (connection refused, reset, timeout)
 * and 5xx. 4xx means the receiver understood and refused, and sending the same bytes again
 * will not change its mind — except 408 (its own timeout) and 429 (it asked us to slow down),
 * which are temporary by definition (RFC 9110 §15.5.9, RFC 6585 §4).
 */
export function isRetryable(status: number | undefined): boolean {
  if (status === undefined) return true;
  return status >= 500 || status === 408 || status === 429;
}
