// Transaction timer values (RFC 3261 §17 and Table 4 of Appendix A, RFC 6026 §8.11 for L and M).
// Only T1, T2 and T4 are settings; every other timer is derived here, in one place, so the
// state machines never do timer arithmetic of their own.
import type { TimerSettings } from './types.ts';

/** RFC 3261 Table 4 defaults. */
export const DEFAULT_TIMER_SETTINGS: Readonly<TimerSettings> = Object.freeze({ t1: 500, t2: 4000, t4: 5000 });

/** Every timer a transaction needs, in ms. Values for reliable transports are applied by the caller. */
export interface ResolvedTimers extends TimerSettings {
  /** Timer B, F, H, L, M and J (unreliable): 64·T1. */
  t64: number;
  /** Timer D on unreliable transports: at least 32 s (Table 4), and never shorter than 64·T1 so it outlives timer H at the server. */
  d: number;
}

export function resolveTimers(partial: Partial<TimerSettings> | undefined, timerD?: number): ResolvedTimers {
  const t1 = partial?.t1 ?? DEFAULT_TIMER_SETTINGS.t1;
  const t2 = partial?.t2 ?? DEFAULT_TIMER_SETTINGS.t2;
  const t4 = partial?.t4 ?? DEFAULT_TIMER_SETTINGS.t4;
  for (const [name, v] of [['t1', t1], ['t2', t2], ['t4', t4]] as const) {
    if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`timer ${name} must be a positive number of ms, got ${v}`);
  }
  const t64 = 64 * t1;
  return { t1, t2, t4, t64, d: timerD ?? Math.max(32_000, t64) };
}
