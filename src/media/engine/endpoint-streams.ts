/**
 * One endpoint's media streams to and from the main thread: stream-out hands what the leg hears
 * (or heard + sent, `mixed`), rate-converted into 20 ms chunks, to host.streamAudio; stream-in
 * queues PCM the endpoint plays whenever no play operation runs, with marks that fire once the
 * audio before them has been played.
 *
 * Stream-out is credit-paced: at most STREAM_CREDIT batches (one per tick) go out unacknowledged,
 * so a slow consumer makes the worker hold audio back (StreamOut sheds the oldest past its queue
 * limit, counted in `dropped`) instead of posting without bound.
 *
 * The endpoint's commands start and stop the streams; its outbound phase (outbound-path.ts)
 * pushes and reads a frame per tick. Never owns a timer; allocates only in StreamOut.take() (the
 * frames are handed over to the main thread).
 */
import { StreamIn, StreamOut } from '../stream/index.ts';
import type { StreamOptions } from './endpoint-types.ts';
import type { EndpointHost } from './endpoint-host.ts';

/** Unacknowledged stream-out batches (one per tick) before the worker holds audio back for a slow consumer. */
const STREAM_CREDIT = 10;

export class EndpointStreams {
  /** Stream-out, while one runs. */
  out: StreamOut | undefined;
  /** Stream-out carries heard + sent (mixed) instead of what the leg hears. Default false. */
  mixed = false;
  private credit = 0;
  /** Frames shed by stream-outs already stopped. */
  private droppedBefore = 0;
  /** Stream-in, once audio was queued. */
  in: StreamIn | undefined;

  constructor(private readonly host: EndpointHost) {}

  /** Start streaming out (replaces a running stream): 20 ms chunks at `opts.rate` through host.streamAudio. */
  startOut(opts: StreamOptions, mediaRate: number): void {
    this.out?.close();
    this.out = new StreamOut({ inRate: mediaRate, outRate: opts.rate, ...(opts.maxQueueMs ? { maxQueueMs: opts.maxQueueMs } : {}) });
    this.mixed = opts.mixed ?? false;
    this.credit = STREAM_CREDIT;
  }

  stopOut(): void {
    if (this.out) this.droppedBefore += this.out.dropped;
    this.out?.close();
    this.out = undefined;
  }

  /** The main thread has consumed `batches` stream-out batches. */
  ack(batches: number): void {
    this.credit = Math.min(STREAM_CREDIT, this.credit + batches);
  }

  /** This tick's frame into the running stream-out; a batch goes to the host while credit lasts. */
  pushOut(so: StreamOut, frame: Int16Array): void {
    so.push(frame);
    if (this.credit > 0 && so.queuedMs > 0 && this.host.streamAudio) {
      this.credit--;
      this.host.streamAudio(so.take());
    }
  }

  /** Frames shed for a slow consumer, over every stream-out of this endpoint. */
  get dropped(): number {
    return this.droppedBefore + (this.out?.dropped ?? 0);
  }

  /** Queue PCM (16 or 24 kHz) for playout after what is queued; plays whenever no play operation runs. */
  inAudio(pcm: Int16Array, rate: 16000 | 24000, mediaRate: number): void {
    if (this.in && this.in.inRate !== rate) {
      this.in.close();
      this.in = undefined;
    }
    if (!this.in) {
      const si = new StreamIn({ inRate: rate, outRate: mediaRate });
      si.onMark = (name, cleared) => this.host.emit('mark', { name, cleared });
      this.in = si;
    }
    this.in.enqueue(pcm);
  }

  /** Mark the end of the queued stream-in audio: 'mark' fires once it has been played. */
  mark(name: string): void {
    if (!this.in) {
      this.host.emit('mark', { name, cleared: false });
      return;
    }
    this.in.mark(name);
  }

  /** Drop queued stream-in audio (barge-in); pending marks fire with cleared = true. */
  clear(): void {
    this.in?.clear();
  }

  /** Stop both directions (the endpoint closes); stream-in's pending marks fire with cleared = true. */
  close(): void {
    this.stopOut();
    this.in?.close();
    this.in = undefined;
  }
}
