// Retransmission schedules the UA core runs itself (not the transaction layer):
// - the UAS's 2xx to an INVITE, at T1 doubling up to T2, until ACK or 64·T1 (RFC 3261 §13.3.1.4);
// - a reliable provisional response, at T1 doubling (uncapped), until PRACK or 64·T1 (RFC 3262 §3).
import type { Clock, TimerHandle } from '../../lib/index.ts';

export interface RetransmitterOptions {
  clock: Clock;
  /** First interval (T1), ms. */
  t1: number;
  /** Interval cap; Infinity for RFC 3262 (no cap). */
  cap: number;
  /** Give up after this many ms (64·T1). */
  giveUpAfter: number;
  /** Send the message again. */
  send(): void;
  /** Called once when giveUpAfter passes without stop(). */
  onGiveUp(): void;
}

export class Retransmitter {
  private interval: number;
  private timer: TimerHandle | undefined;
  private deadline: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly opts: RetransmitterOptions) {
    this.interval = opts.t1;
    this.schedule();
    this.deadline = opts.clock.setTimeout(() => {
      if (this.stopped) return;
      this.stop();
      opts.onGiveUp();
    }, opts.giveUpAfter);
  }

  private schedule(): void {
    this.timer = this.opts.clock.setTimeout(() => {
      if (this.stopped) return;
      this.opts.send();
      this.interval = Math.min(this.interval * 2, this.opts.cap);
      this.schedule();
    }, this.interval);
  }

  get active(): boolean {
    return !this.stopped;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.deadline?.cancel();
  }
}
