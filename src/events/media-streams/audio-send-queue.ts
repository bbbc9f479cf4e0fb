// AudioSendQueue: paces call audio onto a socket that may be slower than real time, without
// letting the stream fall behind. Audio is only worth something now: when the consumer cannot
// keep up, the OLDEST frames are shed (and counted) so that what it does receive is recent.
//
// At most `maxFrames` audio frames are held by Switchboard at any time: handed to the socket but
// not yet accepted by the kernel (in flight, at most half) plus waiting here (the rest). Control
// messages (metadata, digits, transcripts) bypass the queue and are never shed. What the kernel's
// own socket buffers hold is outside our reach (PARTIAL: on a consumer that stops reading, up to
// those buffers' size of audio can still be delivered late before the queue starts shedding).

/** The part of a WebSocket the queue writes to. */
export interface FrameSink {
  /** `done` is called once the frame left userland (ws: written to the socket) or failed. */
  send(data: string | Buffer, done: (err?: Error) => void): void;
}

export class AudioSendQueue {
  private readonly waiting: (string | Buffer)[] = [];
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly maxWaiting: number;
  private closed = false;
  /** Frames shed so far. */
  dropped = 0;
  /** Frames handed to the socket so far. */
  sent = 0;

  /** maxFrames: audio frames held at most (≥ 2); e.g. 25 = 500 ms of 20 ms frames. */
  constructor(private readonly sink: FrameSink, maxFrames: number) {
    const m = Math.max(2, Math.floor(maxFrames));
    this.maxInFlight = Math.ceil(m / 2);
    this.maxWaiting = m - this.maxInFlight;
  }

  /** Number of frames waiting (not yet handed to the socket). */
  get queued(): number {
    return this.waiting.length;
  }

  push(frame: string | Buffer): void {
    if (this.closed) return;
    this.waiting.push(frame);
    while (this.waiting.length > this.maxWaiting) {
      this.waiting.shift();
      this.dropped++;
    }
    this.flush();
  }

  /** Drops what waits (the connection is ending); in-flight frames finish on their own. */
  close(): void {
    this.closed = true;
    this.waiting.length = 0;
  }

  private flush(): void {
    while (!this.closed && this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const f = this.waiting.shift()!;
      this.inFlight++;
      this.sent++;
      this.sink.send(f, () => {
        this.inFlight--;
        this.flush();
      });
    }
  }
}
