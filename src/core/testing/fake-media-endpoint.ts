// In-memory MediaEndpoint for unit tests of core: operations stay running until the test
// finishes them (finishAll / finish) or core cancels them; the test injects digits and
// utterances. Not for production: it moves no audio.
import { EventEmitter } from 'node:events';
import type {
  MediaEndpoint, MediaEndpointEvents, MediaResult, MediaStats, PlayItem, PlayOptions, RecordOptions, RecordingOperation, TapOptions, AudioTap, AudioTapEvents,
} from '../ports/index.ts';

export interface FakeMediaOp extends RecordingOperation {
  readonly kind: 'play' | 'record' | 'sendDtmf';
  readonly detail: unknown;
  settled: boolean;
  /** Ends it as the media worker would. */
  finish(r: MediaResult): void;
}

export class FakeAudioTap extends EventEmitter<AudioTapEvents> implements AudioTap {
  dropped = 0;
  isClosed = false;
  constructor(readonly opts: TapOptions, private readonly onClose: (t: FakeAudioTap) => void) { super(); }
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.onClose(this);
    this.emit('closed');
  }
}

export class FakeMediaEndpoint extends EventEmitter<MediaEndpointEvents> implements MediaEndpoint {
  private static next = 1;
  readonly id = `fake-ep-${FakeMediaEndpoint.next++}`;
  closed = false;
  readonly ops: FakeMediaOp[] = [];
  readonly log: string[] = [];
  connectedTo?: MediaEndpoint;
  stats_: MediaStats = { packetsReceived: 1000, packetsLost: 10, jitterMs: 3, rttMs: 40 };
  /** Open audio taps; tapAudio() feeds them. */
  readonly taps: FakeAudioTap[] = [];
  /** What streamIn received (cleared by clearStreamIn). */
  readonly streamedIn: { rate: number; samples: Int16Array }[] = [];
  /** When set, play() rejects with it. */
  failPlay?: Error;

  private check(): void {
    if (this.closed) throw new Error('endpoint closed');
  }

  private op(kind: FakeMediaOp['kind'], detail: unknown): FakeMediaOp {
    let resolve!: (r: MediaResult) => void;
    const done = new Promise<MediaResult>((r) => { resolve = r; });
    const op: FakeMediaOp = {
      kind, detail, settled: false, done,
      finish: (r) => { if (op.settled) return; op.settled = true; resolve(r); },
      cancel: async () => { op.finish({ reason: 'cancelled' }); },
      pause: async () => { this.log.push('pause'); },
      resume: async () => { this.log.push('resume'); },
    };
    this.ops.push(op);
    return op;
  }

  running(kind?: FakeMediaOp['kind']): FakeMediaOp[] {
    return this.ops.filter((o) => !o.settled && (!kind || o.kind === kind));
  }

  async play(items: readonly PlayItem[], opts: PlayOptions = {}): Promise<FakeMediaOp> {
    this.check();
    if (this.failPlay) throw this.failPlay;
    return this.op('play', { items, opts });
  }
  async record(path: string, opts: RecordOptions = {}): Promise<FakeMediaOp> { this.check(); return this.op('record', { path, opts }); }
  async sendDtmf(digits: string): Promise<FakeMediaOp> { this.check(); this.log.push(`sendDtmf:${digits}`); return this.op('sendDtmf', { digits }); }
  async detectDtmf(on: boolean): Promise<void> { this.check(); this.log.push(`detectDtmf:${on}`); }
  async detectSpeech(on: boolean): Promise<void> { this.check(); this.log.push(`detectSpeech:${on}`); }
  async openTap(opts: TapOptions): Promise<FakeAudioTap> {
    this.check();
    this.log.push(`openTap:${opts.rate}:${opts.mixed ? 'mixed' : 'peer'}`);
    const tap = new FakeAudioTap(opts, (t) => { this.taps.splice(this.taps.indexOf(t), 1); this.log.push('closeTap'); });
    this.taps.push(tap);
    return tap;
  }
  async streamIn(samples: Int16Array, rate: 16000 | 24000): Promise<void> { this.check(); this.streamedIn.push({ rate, samples }); }
  async clearStreamIn(): Promise<void> { this.check(); this.log.push('clearStreamIn'); this.streamedIn.length = 0; }
  async connect(other: MediaEndpoint): Promise<void> { this.check(); this.connectedTo = other; this.log.push(`connect:${other.id}`); }
  async disconnect(): Promise<void> { this.check(); this.connectedTo = undefined; this.log.push('disconnect'); }
  async mute(): Promise<void> { this.check(); this.log.push('mute'); }
  async unmute(): Promise<void> { this.check(); this.log.push('unmute'); }
  async stopAll(): Promise<void> { this.check(); for (const o of this.running()) o.finish({ reason: 'cancelled' }); }
  async stats(): Promise<MediaStats> { this.check(); return { ...this.stats_ }; }
  async close(): Promise<void> {
    if (this.closed) return;
    for (const o of this.running()) o.finish({ reason: 'closed' });
    for (const t of [...this.taps]) void t.close();
    this.closed = true;
    this.emit('closed', { reason: 'closed' });
  }

  // The peer's side.
  digit(d: string, source: 'rfc4733' | 'inband' = 'rfc4733'): void { this.emit('dtmf', { digit: d, source }); }
  /** 20 ms of the peer's audio to every open tap (at each tap's rate); `fill` sets every sample. */
  tapAudio(fill = 0): void {
    for (const t of this.taps) t.emit('audio', { rate: t.opts.rate, samples: new Int16Array(t.opts.rate / 50).fill(fill) });
  }
  utterance(): void { this.emit('utterance', { rate: 8000, samples: new Int16Array(160) }); }
}
