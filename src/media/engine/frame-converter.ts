/**
 * One 20 ms frame at one media rate → one 20 ms frame at another, through the polyphase
 * Resampler (dsp/resampler.ts), with its buffers pooled: used wherever two sides of a link run at
 * different rates — a cross-worker relay (relay-endpoint.ts) and a same-worker bridge between,
 * say, an Opus leg (48 kHz) and a G.711 leg (8 kHz) (outbound-path.ts), and a conference member
 * or prompt at another rate than the mix (conference-room.ts). The resampler keeps its
 * filter state from frame to frame, so feed it every frame of a stream, silence included.
 * Nothing is allocated per frame once the rates are set.
 */
import { Resampler } from '../dsp/index.ts';

export class FrameConverter {
  private rs: Resampler | undefined;
  private from = 0;
  private to = 0;
  private buf = new Int16Array(0);
  /** buf's first to/50 samples: the frame convert() returns (made once per rate pair). */
  private view = new Int16Array(0);

  /**
   * `frame[0, n)` (at `from` Hz; n defaults to one frame) as one frame at `to` Hz: exactly to/50
   * samples, a short resampler output padded with zeros. The returned array is reused by the
   * next call.
   */
  convert(frame: Int16Array, from: number, to: number, n = from / 50): Int16Array {
    this.prepare(from, to);
    const got = this.rs!.process(frame, this.buf, n);
    for (let i = got; i < this.view.length; i++) this.buf[i] = 0;
    return this.view;
  }

  /**
   * Build the resampler and buffers for `from` → `to` now (a no-op when they are already for that
   * pair; a new pair starts from silence), so that allocation — and the RangeError the Resampler
   * throws for a ratio it cannot convert — happen where the caller chooses (a conference's join,
   * not its tick). convert() with the same rates then allocates nothing.
   */
  prepare(from: number, to: number): void {
    if (this.rs !== undefined && this.from === from && this.to === to) return;
    const rs = new Resampler(from, to);
    this.rs = rs;
    this.from = from;
    this.to = to;
    this.buf = new Int16Array(Math.max(to / 50, rs.maxOutput(from / 50)));
    this.view = this.buf.subarray(0, to / 50);
  }

  /** The stream paused (no frame this tick): start the next frame from silence, not from stale filter history. */
  reset(): void {
    this.rs?.reset();
  }
}
