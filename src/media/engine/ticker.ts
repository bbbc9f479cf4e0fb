/**
 * The one 20 ms clock of a media worker. Every endpoint, player and mixer the worker holds is
 * driven from its `onTick`, so a worker has exactly one timer however many calls it carries
 * (no per-call timers).
 *
 * Drift-free: tick n is due at start + n·interval on the monotonic clock (hrtime), not "20 ms
 * after the previous tick", so timer lateness never accumulates. Node timers have 1 ms
 * granularity and often fire late, so the ticker asks to be woken `wakeEarlyMs` before the due
 * time and runs the tick when it is within that margin (sending up to ~1 ms early is harmless;
 * sending late is jitter). After a stall (GC, busy loop) it catches up one tick per wake-up as
 * long as it is at most `maxCatchUp` ticks behind — so a peer sees at most one extra frame in a
 * burst — and beyond that it drops the missed ticks and re-anchors (a skipped frame is better
 * than a 200 ms burst).
 *
 * State:
 * ```
 *  stopped ──start()──▶ running ──stop()──▶ stopped
 * ```
 */

export interface TickerOptions {
  /** Tick period in ms. Default 20. */
  intervalMs?: number;
  /** Called once per tick with the tick's due time (ms, monotonic) and its index. */
  onTick: (dueMs: number, index: number) => void;
  /** Monotonic time in ms. Default process.hrtime.bigint() / 1e6. */
  now?: () => number;
  /** Schedule a wake-up. Default setTimeout (unref'd when `unref`). */
  schedule?: (fn: () => void, ms: number) => { cancel(): void };
  /** Ask to be woken this many ms before the due time. Default 1. */
  wakeEarlyMs?: number;
  /** Ticks the ticker may run back-to-back to catch up before it skips instead. Default 5. */
  maxCatchUp?: number;
  /** Let the process exit while the ticker runs. Default false (a worker must keep ticking). */
  unref?: boolean;
}

export interface TickerStats {
  ticks: number;
  /** Ticks dropped after stalls longer than maxCatchUp intervals. */
  skipped: number;
  /** Largest lateness of a tick behind its due time, ms. */
  maxLateMs: number;
}

const hrNow = () => Number(process.hrtime.bigint()) / 1e6;

export class Ticker {
  private readonly interval: number;
  private readonly onTick: TickerOptions['onTick'];
  private readonly now: () => number;
  private readonly schedule: NonNullable<TickerOptions['schedule']>;
  private readonly early: number;
  private readonly maxCatchUp: number;
  private timer: { cancel(): void } | undefined;
  private anchor = 0;
  private index = 0;
  private running = false;
  readonly stats: TickerStats = { ticks: 0, skipped: 0, maxLateMs: 0 };

  constructor(opts: TickerOptions) {
    this.interval = opts.intervalMs ?? 20;
    this.onTick = opts.onTick;
    this.now = opts.now ?? hrNow;
    this.early = opts.wakeEarlyMs ?? 1;
    this.maxCatchUp = opts.maxCatchUp ?? 5;
    const unref = opts.unref ?? false;
    this.schedule = opts.schedule ?? ((fn, ms) => {
      const t = setTimeout(fn, ms);
      if (unref) t.unref();
      return { cancel: () => clearTimeout(t) };
    });
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Start ticking; the first tick is due one interval from now. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.anchor = this.now();
    this.index = 1;
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private due(): number {
    return this.anchor + this.index * this.interval;
  }

  private arm(): void {
    if (!this.running) return;
    const delay = Math.max(0, Math.floor(this.due() - this.now() - this.early));
    this.timer = this.schedule(() => this.wake(), delay);
  }

  private wake(): void {
    this.timer = undefined;
    if (!this.running) return;
    const now = this.now();
    let due = this.due();
    if (now >= due - this.early) {
      const behind = Math.floor((now - due) / this.interval);
      if (behind > this.maxCatchUp) {
        // Re-anchor: drop the missed ticks rather than bursting them out.
        this.stats.skipped += behind;
        this.index += behind;
        due = this.due();
      }
      const late = now - due;
      if (late > this.stats.maxLateMs) this.stats.maxLateMs = late;
      this.stats.ticks++;
      const i = this.index++;
      try {
        this.onTick(due, i);
      } catch {
        // onTick owns its errors; the clock must keep running for the other calls.
      }
    }
    this.arm();
  }
}
