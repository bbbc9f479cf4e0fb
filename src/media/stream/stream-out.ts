/**
 * Streaming hook, outbound: a leg's (or a mix's) decoded frames at the media rate, resampled to
 * 16 or 24 kHz and queued in `frameMs` chunks for a consumer (the WebSocket sender on the main
 * thread). A slow consumer must never make the audio late, so the queue is bounded: when it holds
 * more than `maxQueueMs`, the OLDEST frames are shed and counted in `dropped`.
 *
 * Each queued frame is a fresh Int16Array handed over by take(), so it can be posted to another
 * thread as a transferable buffer; that is the only allocation (one per outgoing frame).
 */
import { Resampler } from '../dsp/index.ts';

export interface StreamOutOptions {
  /** Rate of the frames pushed in (the media rate). Required. */
  inRate: number;
  /** Rate delivered to the consumer. Required. */
  outRate: 16000 | 24000;
  /** Duration of each delivered frame, ms. Default 20. */
  frameMs?: number;
  /** Most audio kept for a slow consumer before the oldest is shed, ms. Default 500. */
  maxQueueMs?: number;
}

export class StreamOut {
  readonly inRate: number;
  readonly outRate: number;
  /** Samples per delivered frame. */
  readonly frameSize: number;
  /** Frames shed because the consumer was too slow. */
  dropped = 0;
  private readonly resampler: Resampler | undefined;
  private readonly maxFrames: number;
  private scratch: Int16Array;
  private current: Int16Array;
  private fill = 0;
  private queue: Int16Array[] = [];
  private closed = false;

  constructor(opts: StreamOutOptions) {
    if (opts.outRate !== 16000 && opts.outRate !== 24000) throw new RangeError('outRate must be 16000 or 24000');
    this.inRate = opts.inRate;
    this.outRate = opts.outRate;
    const frameMs = opts.frameMs ?? 20;
    this.frameSize = Math.round((opts.outRate * frameMs) / 1000);
    this.maxFrames = Math.max(1, Math.floor((opts.maxQueueMs ?? 500) / frameMs));
    this.resampler = opts.inRate === opts.outRate ? undefined : new Resampler(opts.inRate, opts.outRate);
    this.scratch = new Int16Array(this.resampler ? this.resampler.maxOutput(opts.inRate / 50) : 0);
    this.current = new Int16Array(this.frameSize);
  }

  /** Audio waiting for the consumer, ms (complete frames only). */
  get queuedMs(): number {
    return (this.queue.length * this.frameSize * 1000) / this.outRate;
  }

  /** Add one decoded frame at inRate (copied). Ignored after close(). */
  push(frame: Int16Array): void {
    if (this.closed) return;
    let src = frame;
    let n = frame.length;
    if (this.resampler) {
      if (this.scratch.length < this.resampler.maxOutput(n)) this.scratch = new Int16Array(this.resampler.maxOutput(n));
      n = this.resampler.process(frame, this.scratch);
      src = this.scratch;
    }
    let i = 0;
    while (i < n) {
      const k = Math.min(n - i, this.frameSize - this.fill);
      // A loop, not set(src.subarray(…)): no view object per frame on the tick.
      const cur = this.current;
      for (let j = 0, f = this.fill; j < k; j++) cur[f + j] = src[i + j];
      this.fill += k;
      i += k;
      if (this.fill === this.frameSize) {
        this.queue.push(this.current);
        if (this.queue.length > this.maxFrames) {
          this.queue.shift(); // shed the oldest: latency must not grow with a slow consumer
          this.dropped++;
        }
        this.current = new Int16Array(this.frameSize);
        this.fill = 0;
      }
    }
  }

  /** All complete frames waiting, oldest first; the caller owns them. */
  take(): Int16Array[] {
    const q = this.queue;
    this.queue = [];
    return q;
  }

  /** Stop accepting audio and drop what is queued. Idempotent. */
  close(): void {
    this.closed = true;
    this.queue = [];
  }
}
