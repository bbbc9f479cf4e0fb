/**
 * The one 20 ms clock of a media worker. Every endpoint, player and mixer the worker holds is
 * driven from its `onTick`, so a worker has exactly one timer however many calls it carries
 * (no per-call timers).
 *
 * Drift-free: tick n is due at anchor + n·interval on the monotonic clock (hrtime), not "20 ms
 * after the previous tick", so timer lateness never accumulates. Node timers have 1 ms
 * granularity and often fire late, so the ticker asks to be woken `wakeEarlyMs` before the due
 * time and runs the tick when it is within that margin (sending up to ~1 ms early is harmless;
 * sending late is jitter).
 *
 * Never bursts: a peer measures each packet against the previous one, so two ticks run back to
 * back after a stall (interval ≈ 0, a 20 ms deviation) are as bad as the stall itself. After a
 * late tick the next one is scheduled no sooner than `interval − catchUpMs` after it, i.e. the
 * ticker wins back at most `catchUpMs` per tick (default 1 ms — inside a 2 ms jitter budget)
 * until it is on its grid again. A tick is never dropped for lateness up to `maxBehindMs`;
 * beyond that the grid is re-anchored at the late tick (`stats.slips`), because winning back
 * 100 ms at 1 ms per tick would keep the media clock skewed for seconds. Media timestamps stay
 * continuous either way: endpoints advance their RTP timestamp per tick run, not per grid slot,
 * so a slip looks like network delay to the peer's jitter buffer, not like loss.
 *
 * State:
 * ```
 *  stopped ──start()──▶ running ──stop()──▶ stopped
 * ```
 */
import { TickHistogram, type TickHistogramSnapshot } from './tick-histogram.ts';

// The histogram helpers travel with the ticker (the worker reports them, the engine merges them).
export { TICK_BUCKETS_MS, TickHistogram, mergeTickHistograms, tickQuantileBoundMs, type TickHistogramSnapshot } from './tick-histogram.ts';

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
  /** The most one tick interval is shortened to win back lateness. Default 1 (ms). */
  catchUpMs?: number;
  /** Lateness behind the grid beyond which the grid is re-anchored instead of won back. Default 3 intervals (60 ms). */
  maxBehindMs?: number;
  /** Let the process exit while the ticker runs. Default false (a worker must keep ticking). */
  unref?: boolean;
  /**
   * A blocking sleep with sub-millisecond precision (in a worker thread: Atomics.wait). When
   * given, a tick woken early sleeps until its target instead of running up to `wakeEarlyMs`
   * early: Node timers resolve to 1 ms, which alone is ±1 ms of send jitter. Default none.
   */
  preciseSleep?: (ms: number) => void;
}

export interface TickerStats {
  ticks: number;
  /** Grid slots given up by re-anchoring (whole intervals of lateness); no frame is lost, the media clock shifts. */
  skipped: number;
  /** Times the grid was re-anchored after a stall longer than maxBehindMs. */
  slips: number;
  /** Sum of the lateness given up by those re-anchors, ms. */
  slippedMs: number;
  /** Largest lateness of a tick behind its due time, ms. */
  maxLateMs: number;
}

/** Histograms kept by the ticker (see TickHistogram): all in ms. */
export interface TickerHistograms {
  /** How late each tick started after the time it was scheduled for (grid or catch-up target). */
  late: TickHistogramSnapshot;
  /** |start − previous start − interval|: the pacing a peer sees, before per-endpoint work inside the tick. */
  spacing: TickHistogramSnapshot;
  /** Time spent in onTick. */
  work: TickHistogramSnapshot;
}

/** Wake-up lateness above this is a stall, not the timer's usual behaviour. */
const MAX_USUAL_LATE_MS = 4;

const hrNow = () => Number(process.hrtime.bigint()) / 1e6;

export class Ticker {
  private readonly interval: number;
  private readonly onTick: TickerOptions['onTick'];
  private readonly now: () => number;
  private readonly schedule: NonNullable<TickerOptions['schedule']>;
  private readonly early: number;
  private readonly catchUp: number;
  private readonly maxBehind: number;
  private readonly sleep: ((ms: number) => void) | undefined;
  private timer: { cancel(): void } | undefined;
  private anchor = 0;
  private index = 0;
  /** Start time of the previous tick (-Infinity before the first). */
  private lastRun = -Infinity;
  /** Smoothed lateness of wake-ups behind their target, ms (negative when woken early). */
  private latEst = 0;
  private running = false;
  readonly stats: TickerStats = { ticks: 0, skipped: 0, slips: 0, slippedMs: 0, maxLateMs: 0 };
  private readonly lateHist = new TickHistogram();
  private readonly spacingHist = new TickHistogram();
  private readonly workHist = new TickHistogram();

  constructor(opts: TickerOptions) {
    this.interval = opts.intervalMs ?? 20;
    this.onTick = opts.onTick;
    this.now = opts.now ?? hrNow;
    this.early = opts.wakeEarlyMs ?? 1;
    this.catchUp = opts.catchUpMs ?? 1;
    this.maxBehind = opts.maxBehindMs ?? 3 * this.interval;
    this.sleep = opts.preciseSleep;
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

  histograms(): TickerHistograms {
    return { late: this.lateHist.snapshot(), spacing: this.spacingHist.snapshot(), work: this.workHist.snapshot() };
  }

  /** Start ticking; the first tick is due one interval from now. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.anchor = this.now();
    this.index = 1;
    this.lastRun = -Infinity;
    this.latEst = 0;
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

  /**
   * When the next tick should run: on the grid, but never sooner than interval − catchUp after
   * the last one actually ran. The wake-up lateness the timer shows anyway (`latEst`) is
   * subtracted, so that a timer that always fires 2 ms late does not stretch every interval
   * by 2 ms and drift off the grid — only lateness beyond the usual is won back slowly.
   */
  private target(): number {
    return Math.max(this.due(), this.lastRun + this.interval - this.catchUp - this.latEst);
  }

  private arm(): void {
    if (!this.running) return;
    // Node timers have 1 ms resolution: a fraction of a ms left means "next millisecond", not 0 (a spin).
    const left = this.target() - this.now() - this.early;
    const delay = left <= 0 ? 0 : Math.max(1, Math.floor(left));
    this.timer = this.schedule(() => this.wake(), delay);
  }

  private wake(): void {
    this.timer = undefined;
    if (!this.running) return;
    let now = this.now();
    const target = this.target();
    if (now >= target - this.early) {
      if (this.sleep && now < target) {
        this.sleep(target - now);
        now = this.now();
      }
      const behind = now - this.due();
      if (behind > this.maxBehind) {
        // Re-anchor the grid at this tick: give the lateness up rather than win it back for seconds.
        this.stats.slips++;
        this.stats.slippedMs += behind;
        this.stats.skipped += Math.floor(behind / this.interval);
        this.anchor += behind;
      }
      if (behind > this.stats.maxLateMs) this.stats.maxLateMs = behind;
      const late = now - target;
      this.lateHist.observe(Math.max(0, late));
      // EWMA (1/8) of the usual lateness; stalls are clamped out so one GC does not skew it.
      this.latEst += (Math.min(Math.max(late, -this.early), MAX_USUAL_LATE_MS) - this.latEst) / 8;
      if (this.lastRun !== -Infinity) this.spacingHist.observe(Math.abs(now - this.lastRun - this.interval));
      this.lastRun = now;
      this.stats.ticks++;
      const due = this.due();
      const i = this.index++;
      try {
        this.onTick(due, i);
      } catch {
        // onTick owns its errors; the clock must keep running for the other calls.
      }
      this.workHist.observe(this.now() - now);
    }
    this.arm();
  }
}
