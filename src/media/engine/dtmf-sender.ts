/**
 * Sends DTMF digits as RFC 4733 telephone-events on an endpoint's RTP stream. The endpoint asks
 * it once per tick; while a digit plays, its packets replace the audio frames (same SSRC and
 * sequence space, the event's own timestamp — RFC 4733 §2.5.1), then audio resumes after an
 * inter-digit gap. Packet plans come from planTelephoneEvent (marker on the first packet,
 * updates every tick, three end packets; §2.5.1.2–2.5.1.4).
 */
import { planTelephoneEvent, type TelephoneEventPacket } from '../dtmf/index.ts';

export interface DtmfSendJob {
  digits: string;
  durationMs: number;
  /** Silence between digits, ms. */
  gapMs: number;
  done: () => void;
}

export class DtmfSender {
  private readonly jobs: DtmfSendJob[] = [];
  private plan: TelephoneEventPacket[] | undefined;
  private planIdx = 0;
  private digitIdx = 0;
  private startMs = 0;
  /** Audio-only ticks left in the gap after a digit. */
  private gapTicks = 0;

  constructor(private clockRate: number, private readonly tickMs = 20) {}

  /** A re-negotiated telephone-event clock rate: digits planned from now on use it. */
  setClockRate(rate: number): void {
    this.clockRate = rate;
  }

  get busy(): boolean {
    return this.jobs.length > 0;
  }

  enqueue(job: DtmfSendJob): void {
    this.jobs.push(job);
  }

  /** Drop everything queued (endpoint closing); pending jobs still resolve. */
  clear(): void {
    for (const j of this.jobs.splice(0)) j.done();
    this.plan = undefined;
  }

  /**
   * This tick's telephone-event packets (zero, one, or the three end copies), or undefined when
   * the tick carries audio. `audioTs` is the audio RTP timestamp of this tick.
   */
  next(nowMs: number, audioTs: number): TelephoneEventPacket[] | undefined {
    if (this.gapTicks > 0) {
      this.gapTicks--;
      return undefined;
    }
    const job = this.jobs[0];
    if (!job) return undefined;
    if (!this.plan) {
      this.plan = planTelephoneEvent({ digit: job.digits[this.digitIdx], durationMs: job.durationMs, startTimestamp: audioTs, clockRate: this.clockRate, intervalMs: this.tickMs });
      this.planIdx = 0;
      this.startMs = nowMs;
    }
    const elapsed = nowMs - this.startMs + this.tickMs / 2;
    const out: TelephoneEventPacket[] = [];
    while (this.planIdx < this.plan.length && this.plan[this.planIdx].atMs <= elapsed) out.push(this.plan[this.planIdx++]);
    if (this.planIdx >= this.plan.length) {
      this.plan = undefined;
      this.gapTicks = Math.round(job.gapMs / this.tickMs);
      if (++this.digitIdx >= job.digits.length) {
        this.jobs.shift();
        this.digitIdx = 0;
        job.done();
      }
    }
    return out;
  }
}
