/**
 * Streaming hook, inbound: audio arriving from a WebSocket (16 or 24 kHz PCM, chunks of any size)
 * queued for playout and read by the engine as 20 ms frames at the media rate. clear() flushes
 * everything queued (barge-in). mark(name) reports, through onMark, the moment all audio queued
 * before it has been READ by the engine's ticker — i.e. played to the caller — not when it was
 * queued.
 *
 * AudioSource semantics (documented divergence): read() returns true for as long as the stream
 * is open, filling silence on underrun (an empty queue means "the bot is quiet", not "the
 * prompt is over"); it returns false only after close(). `playing` says whether audio was
 * actually read in the last frame.
 *
 * onMark(name, cleared): cleared = false when the mark was reached by playout; true when clear()
 * or close() discarded the audio before it (the consumer still learns the mark will never play).
 * Marks fire from inside read()/clear()/close(), synchronously.
 */
import type { AudioSource } from '../audio.ts';
import { Resampler } from '../dsp/index.ts';

export interface StreamInOptions {
  /** Rate of the PCM the WebSocket sends. Required. */
  inRate: 16000 | 24000;
  /** Media rate of the frames read. Required. */
  outRate: number;
  /** Most audio queued; older audio beyond it is discarded, ms. Default 60000. */
  maxQueueMs?: number;
}

interface Mark {
  name: string;
  /** Fires when this many output samples have been read in total. */
  at: number;
}

export class StreamIn implements AudioSource {
  readonly rate: number;
  readonly inRate: number;
  /** Called when a mark's audio has been played (cleared = false) or discarded (cleared = true). */
  onMark?: (name: string, cleared: boolean) => void;
  /** Samples discarded because the queue exceeded maxQueueMs. */
  overflowed = 0;
  /** Frames read with an empty queue (silence played). */
  underruns = 0;
  /** Whether the last read() played any queued audio. */
  playing = false;
  private readonly resampler: Resampler | undefined;
  private readonly maxQueue: number;
  private chunks: Int16Array[] = [];
  /** Read position inside chunks[0]. */
  private head = 0;
  private queued = 0;
  /** Output samples enqueued and read since the start (marks are positions on this line). */
  private enqueuedTotal = 0;
  private readTotal = 0;
  private marks: Mark[] = [];
  private closed = false;

  constructor(opts: StreamInOptions) {
    if (opts.inRate !== 16000 && opts.inRate !== 24000) throw new RangeError('inRate must be 16000 or 24000');
    this.inRate = opts.inRate;
    this.rate = opts.outRate;
    this.resampler = opts.inRate === opts.outRate ? undefined : new Resampler(opts.inRate, opts.outRate);
    this.maxQueue = Math.round(((opts.maxQueueMs ?? 60000) * opts.outRate) / 1000);
  }

  /** Audio queued and not yet played, ms. */
  get queuedMs(): number {
    return (this.queued * 1000) / this.rate;
  }

  /** Queue PCM at inRate (any length; copied). Ignored after close(). */
  enqueue(pcm: Int16Array): void {
    if (this.closed || pcm.length === 0) return;
    let chunk: Int16Array;
    if (this.resampler) {
      const out = new Int16Array(this.resampler.maxOutput(pcm.length));
      chunk = out.subarray(0, this.resampler.process(pcm, out));
    } else {
      chunk = pcm.slice();
    }
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.queued += chunk.length;
    this.enqueuedTotal += chunk.length;
    // Bounded: drop the oldest audio beyond the limit (counts as read for the marks).
    if (this.queued > this.maxQueue) {
      const excess = this.queued - this.maxQueue;
      this.skip(excess);
      this.overflowed += excess;
      while (this.marks.length > 0 && this.marks[0].at <= this.readTotal) this.onMark?.(this.marks.shift()!.name, true);
    }
  }

  /** Mark the current end of the queue; onMark fires once everything before it has been read. */
  mark(name: string): void {
    if (this.closed) {
      this.onMark?.(name, true);
      return;
    }
    this.marks.push({ name, at: this.enqueuedTotal });
  }

  /** Barge-in: drop all queued audio; pending marks fire with cleared = true. */
  clear(): void {
    this.skip(this.queued);
    this.flushMarks(true);
  }

  /** Fill `out` with the next frame (silence where the queue runs dry). True while open. */
  read(out: Int16Array): boolean {
    if (this.closed) {
      out.fill(0);
      return false;
    }
    let o = 0;
    while (o < out.length && this.chunks.length > 0) {
      const c = this.chunks[0];
      const k = Math.min(out.length - o, c.length - this.head);
      // A loop, not out.set(c.subarray(…)): no view object per frame on the tick.
      for (let i = 0, h = this.head; i < k; i++) out[o + i] = c[h + i];
      o += k;
      this.head += k;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    if (o < out.length) out.fill(0, o);
    this.playing = o > 0;
    if (o === 0) this.underruns++;
    this.queued -= o;
    this.readTotal += o;
    // Marks whose audio has now all been handed to the engine for this tick fire now.
    while (this.marks.length > 0 && this.marks[0].at <= this.readTotal) {
      const m = this.marks.shift()!;
      this.onMark?.(m.name, false);
    }
    return true;
  }

  /** Stop: queued audio is dropped, pending marks fire with cleared = true. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.skip(this.queued);
    this.flushMarks(true);
    this.closed = true;
  }

  /** Discard `n` samples from the head of the queue. */
  private skip(n: number): void {
    let left = n;
    while (left > 0 && this.chunks.length > 0) {
      const c = this.chunks[0];
      const k = Math.min(left, c.length - this.head);
      this.head += k;
      left -= k;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    const done = n - left;
    this.queued -= done;
    this.readTotal += done;
  }

  private flushMarks(cleared: boolean): void {
    const marks = this.marks;
    this.marks = [];
    for (const m of marks) this.onMark?.(m.name, cleared);
  }
}
