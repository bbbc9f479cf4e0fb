// AudioTapFanout: several AudioTaps (core's port) over the ONE stream-out hook a media-worker
// endpoint has (MediaEndpointHandle.startStream). Streaming to a WebSocket and live transcription
// may listen to the same leg at once; the worker sends each 20 ms chunk across the thread
// boundary once and this class hands it to every tap on the main thread.
//
// Shared engine stream, renegotiated whenever a tap opens or closes:
//   rate  = the highest rate any open tap asked for (24 kHz beats 16 kHz); a tap that asked for
//           16 kHz while the engine runs at 24 kHz gets its own Resampler (24 → 16 kHz).
//   mixed = what the FIRST open tap asked for. The engine has one mix per endpoint, so a later tap
//           asking for the other kind gets the running kind (logged). PARTIAL by design of the
//           engine; no caller needs both kinds on one leg today (streaming 'mixed' of a one-leg
//           call taps with mixed=false, as does transcription).
//
// Pacing: the worker sheds the oldest audio a slow main thread cannot take (StreamOut, default
// 500 ms) and counts it (stats().streamDropped); a tap's `dropped` is that count's growth while
// the tap was open, read when it closes. Taps emit synchronously: a tap consumer that cannot keep
// up (a slow WebSocket) sheds on its own side (src/events/media-streams), never here.
//
// Allocation: a tap at the engine's rate gets the engine's chunk itself (shared, read-only). A tap
// at another rate resamples into its own reused scratch buffer and hands out ONE exact-size copy
// per chunk (before: a maxOutput-sized array plus a subarray view). PARTIAL: the copy stays
// because AudioTapEvents lets a consumer keep the chunk, and one does: the pocketsphinx
// transcriber writes a view of it to the child's stdin, which may queue it; handing out the
// scratch itself needs that contract narrowed ("valid during the listener call") first.
//
// Close cascade: tap.close() or the endpoint closing emits the tap's 'closed' once; the last tap
// closing stops the engine stream.
import { EventEmitter } from 'node:events';
import type { AudioTap, AudioTapEvents, TapOptions } from '../core/index.ts';
import type { Logger } from '../lib/index.ts';
import { Resampler } from '../media/index.ts';
import type { MediaEndpointHandle } from '../media/index.ts';

/** The part of MediaEndpointHandle the fan-out uses (narrow, so tests can fake it). */
export type TapSource = Pick<MediaEndpointHandle, 'startStream' | 'stopStream' | 'stats' | 'on' | 'off' | 'once' | 'closed'>;

class Tap extends EventEmitter<AudioTapEvents> implements AudioTap {
  dropped = 0;
  isClosed = false;
  /** Engine streamDropped when this tap opened. */
  droppedAtOpen = 0;
  resampler: Resampler | undefined;
  /** The resampler's output, reused chunk after chunk (grown only when a chunk is longer). */
  private scratch = new Int16Array(0);

  constructor(readonly opts: TapOptions, private readonly onClose: (t: Tap) => Promise<void>) {
    super();
  }

  deliver(rate: number, pcm: Int16Array): void {
    if (this.isClosed) return;
    if (rate === this.opts.rate) {
      this.emit('audio', { rate, samples: pcm });
      return;
    }
    if (!this.resampler || this.resampler.inRate !== rate) this.resampler = new Resampler(rate, this.opts.rate);
    const max = this.resampler.maxOutput(pcm.length);
    if (this.scratch.length < max) this.scratch = new Int16Array(max);
    const n = this.resampler.process(pcm, this.scratch);
    // A copy the consumer may keep (see the header): the scratch is overwritten by the next chunk.
    this.emit('audio', { rate: this.opts.rate, samples: this.scratch.slice(0, n) });
  }

  markClosed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.emit('closed');
  }

  close(): Promise<void> {
    return this.onClose(this);
  }
}

export class AudioTapFanout {
  private readonly taps = new Set<Tap>();
  private running: { rate: 16000 | 24000; mixed: boolean } | undefined;
  /** Serializes engine start/stop so renegotiations never interleave. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly source: TapSource, private readonly logger: Logger, private readonly endpointId: string) {
    source.on('audio', (ev) => {
      for (const t of this.taps) t.deliver(ev.rate, ev.pcm);
    });
    source.once('closed', () => {
      for (const t of [...this.taps]) t.markClosed();
      this.taps.clear();
      this.running = undefined;
    });
  }

  get open(): number {
    return this.taps.size;
  }

  async openTap(opts: TapOptions): Promise<AudioTap> {
    if (opts.rate !== 16000 && opts.rate !== 24000) throw new RangeError('tap rate must be 16000 or 24000');
    const tap = new Tap(opts, (t) => this.closeTap(t));
    tap.droppedAtOpen = await this.engineDropped();
    this.taps.add(tap);
    try {
      await this.renegotiate();
    } catch (err) {
      this.taps.delete(tap);
      tap.markClosed();
      throw err;
    }
    return tap;
  }

  private async closeTap(t: Tap): Promise<void> {
    if (t.isClosed) return;
    const dropped = await this.engineDropped();
    t.dropped = Math.max(0, dropped - t.droppedAtOpen);
    this.taps.delete(t);
    t.markClosed();
    await this.renegotiate().catch((err: unknown) => this.logger.debug({ err, endpoint: this.endpointId }, 'stream stop after the last tap failed'));
  }

  private async engineDropped(): Promise<number> {
    if (this.source.closed) return 0;
    return this.source.stats().then((s) => s.streamDropped ?? 0, () => 0);
  }

  /** Brings the engine stream in line with the open taps (see the header). */
  private renegotiate(): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.source.closed) return;
      const taps = [...this.taps];
      if (taps.length === 0) {
        if (this.running) {
          this.running = undefined;
          await this.source.stopStream();
        }
        return;
      }
      const rate: 16000 | 24000 = taps.some((t) => t.opts.rate === 24000) ? 24000 : 16000;
      const mixed = this.running?.mixed ?? taps[0]!.opts.mixed ?? false;
      for (const t of taps) {
        if ((t.opts.mixed ?? false) !== mixed) this.logger.info({ endpoint: this.endpointId, mixed }, 'audio tap asked for another mix than the running stream; it gets the running one');
      }
      if (this.running && this.running.rate === rate && this.running.mixed === mixed) return;
      await this.source.startStream({ rate, mixed });
      this.running = { rate, mixed };
    });
    this.chain = run.catch(() => {});
    return run;
  }
}
