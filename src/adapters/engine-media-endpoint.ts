// EngineMediaEndpoint: core's MediaEndpoint port over one media-worker endpoint
// (src/media MediaEndpointHandle). Core's play items become engine PlaySpecs, its record
// options the engine's recorder plus what the engine does not do itself (beep, initial and end
// silence from VAD, stop tones), and utterances for recognition are captured here: while speech
// detection is on, the caller's audio is recorded to a scratch WAV, cut at VAD end-of-speech and
// handed to core as an 'utterance' (16-bit PCM) — core passes it to the Recognizer.
//
// Recording pause/resume map onto the engine's setRecordingPaused (nothing written while paused).
// PARTIAL: utterance capture shares the engine's single recorder per endpoint, so it pauses
// while a call recording runs on the same leg.
//
// Close cascade: close() (or the worker closing the endpoint) settles every operation with
// 'closed', stops capture timers, emits 'closed' once; afterwards every method rejects.
import { EventEmitter } from 'node:events';
import { readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  MediaEndpoint, MediaEndpointEvents, MediaOperation, MediaResult, MediaStats, PlayItem, PlayOptions, RecordOptions,
  RecordingOperation, TapOptions, AudioTap,
} from '../core/index.ts';
import type { Clock, Logger, TimerHandle } from '../lib/index.ts';
import type { MediaEndpointHandle, Operation, OperationResult, PlaySpec } from '../media/index.ts';
import { AudioTapFanout } from './audio-tap-fanout.ts';
import { decodePcmWav } from './pcm-wav.ts';

export class NotSupportedError extends Error {
  readonly code = 'NOT_SUPPORTED';
}

export interface EngineMediaEndpointOptions {
  clock: Clock;
  logger: Logger;
  /** Directory for utterance scratch files (absolute); required for speech recognition. */
  scratchDir: string;
  /** Longest utterance captured for recognition; default 15000 ms. */
  maxUtteranceMs?: number;
}

/** Core's play items as the engine renders them. */
export function toPlaySpecs(items: readonly PlayItem[]): PlaySpec[] {
  return items.map((i): PlaySpec => {
    switch (i.kind) {
      case 'file': return { kind: 'file', path: i.path };
      case 'url': return { kind: 'url', url: i.url };
      case 'tone': return { kind: 'tone', tone: { freqs: [...i.frequencies], onMs: i.durationMs, offMs: 0, totalMs: i.durationMs } };
      case 'silence': return { kind: 'silence', ms: i.durationMs };
      case 'pcm': return { kind: 'pcm', rate: i.rate, samples: i.samples };
    }
  });
}

interface Capture {
  file: string;
  op: Operation;
  startedAt: number;
}

let scratchSeq = 0;

export class EngineMediaEndpoint extends EventEmitter<MediaEndpointEvents> implements MediaEndpoint {
  readonly id: string;
  private isClosed = false;
  private dtmfOn = true;
  private speechOn = false;
  /** VAD wanted by a running record() with silence rules. */
  private recordVad = 0;
  private speechStartedAt: number | undefined;
  private capture: Capture | undefined;
  private userRecording = false;
  private readonly running = new Set<(r: MediaResult) => void>();
  /** Audio taps (streaming, transcription); created on the first openTap. */
  private taps: AudioTapFanout | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(readonly handle: MediaEndpointHandle, private readonly o: EngineMediaEndpointOptions) {
    super();
    this.id = `ep-${handle.workerIndex}-${handle.id}`;
    this.clock = o.clock;
    this.logger = o.logger;
    handle.on('dtmf', (ev) => this.emit('dtmf', { digit: ev.digit, source: ev.source, ...(ev.durationMs ? { durationMs: ev.durationMs } : {}) }));
    handle.on('speech', (ev) => {
      if (ev.state === 'start') {
        this.speechStartedAt = this.clock.now();
        this.emit('speechStart');
      } else {
        const durationMs = this.speechStartedAt === undefined ? 0 : this.clock.now() - this.speechStartedAt;
        this.speechStartedAt = undefined;
        this.emit('speechEnd', { durationMs });
        if (this.capture) void this.cutUtterance();
      }
    });
    handle.once('closed', (ev) => this.markClosed(ev.reason));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private check(): void {
    if (this.isClosed) throw new Error('media endpoint is closed');
  }

  private markClosed(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const settle of [...this.running]) settle({ reason: 'closed' });
    this.running.clear();
    const c = this.capture;
    this.capture = undefined;
    if (c) void unlink(c.file).catch(() => {});
    this.emit('closed', { reason });
  }

  /** Detectors as a whole: the engine replaces its set on each call. */
  private async applyDetect(): Promise<void> {
    const vad = this.speechOn || this.recordVad > 0;
    try {
      await this.handle.detect({ rfc4733: this.dtmfOn, inband: this.dtmfOn, vad });
    } catch (err) {
      if (!vad) throw err;
      // VAD is optional (a WASM module): DTMF detection must run regardless.
      this.logger.warn({ err, endpoint: this.id }, 'VAD unavailable; detecting DTMF only');
      await this.handle.detect({ rfc4733: this.dtmfOn, inband: this.dtmfOn, vad: false });
    }
  }

  /** Wraps an engine operation as core's MediaOperation; `map` turns the engine's result into core's. */
  private wrap(op: Operation, map: (r: OperationResult) => MediaResult | Promise<MediaResult>, extra?: { onCancel?: () => void }): RecordingOperation & { settle(r: MediaResult): void } {
    let settled = false;
    let resolve!: (r: MediaResult) => void;
    const done = new Promise<MediaResult>((r) => { resolve = r; });
    const settle = (r: MediaResult): void => {
      if (settled) return;
      settled = true;
      this.running.delete(settle);
      resolve(r);
    };
    this.running.add(settle);
    void op.done.then(async (r) => settle(this.isClosed ? { reason: 'closed' } : await map(r)));
    return {
      done, settle,
      cancel: async () => {
        if (settled) return;
        extra?.onCancel?.();
        await this.handle.cancel(op.id).catch(() => false);
        await done;
      },
      // The engine writes nothing while paused and resumes the same file (setRecordingPaused);
      // a settled operation has nothing to pause.
      pause: async () => { if (!settled) await this.handle.setRecordingPaused(op.id, true); },
      resume: async () => { if (!settled) await this.handle.setRecordingPaused(op.id, false); },
    };
  }

  private static basic(r: OperationResult): MediaResult {
    switch (r.reason) {
      case 'finished': return { reason: 'completed' };
      case 'cancelled': return { reason: 'cancelled' };
      case 'barge-in': return { reason: 'bargeIn' };
      default: return { reason: 'failed', error: r.error ?? 'media error' };
    }
  }

  async play(items: readonly PlayItem[], opts: PlayOptions = {}): Promise<MediaOperation> {
    this.check();
    const op = await this.handle.play(toPlaySpecs(items), {
      loop: opts.loop ? 0 : 1,
      ...(opts.bargeIn ? { bargeIn: this.speechOn ? 'any' as const : 'dtmf' as const } : {}),
    });
    return this.wrap(op, EngineMediaEndpoint.basic);
  }

  /**
   * Records what the peer says to `path` (WAV). Silence rules run here on VAD events; stop tones
   * on detected digits; a beep plays first when asked.
   */
  async record(path: string, opts: RecordOptions = {}): Promise<RecordingOperation> {
    this.check();
    if (opts.format !== undefined && opts.format !== 'wav') throw new NotSupportedError(`recording format ${opts.format} is not supported (wav only)`);
    if (opts.beep) {
      const beep = await this.handle.play([{ kind: 'tone', tone: 'beep' }]);
      await beep.done;
      this.check();
    }
    await this.stopCapture();
    const silenceRules = opts.initialSilenceMs !== undefined || opts.endSilenceMs !== undefined;
    if (silenceRules) {
      this.recordVad++;
      await this.applyDetect();
    }
    this.userRecording = true;
    const started = this.clock.now();
    let ending: MediaResult | undefined;
    let timer: TimerHandle | undefined;
    const arm = (ms: number | undefined, r: MediaResult): void => {
      timer?.cancel();
      if (ms !== undefined) timer = this.clock.setTimeout(() => stop(r), ms);
    };
    const onSpeechStart = (): void => arm(undefined, { reason: 'completed' });
    const onSpeechEnd = (): void => arm(opts.endSilenceMs, { reason: 'completed' });
    const onDtmf = (d: { digit: string }): void => {
      if (opts.stopTones?.includes(d.digit)) stop({ reason: 'stopTone', tone: d.digit });
    };
    const op = await this.handle.record(path, { channels: opts.channels ?? 1, ...(opts.maxDurationMs ? { maxDurationMs: opts.maxDurationMs } : {}) });
    const cleanup = (): void => {
      timer?.cancel();
      this.off('speechStart', onSpeechStart);
      this.off('speechEnd', onSpeechEnd);
      this.off('dtmf', onDtmf);
      this.userRecording = false;
      if (silenceRules) {
        this.recordVad--;
        if (!this.isClosed) void this.applyDetect().catch(() => {});
      }
      if (this.speechOn && !this.isClosed) void this.startCapture();
    };
    const wrapped = this.wrap(op, async (r) => {
      cleanup();
      const durationMs = r.durationMs ?? this.clock.now() - started;
      const sizeBytes = await stat(path).then((s) => s.size, () => undefined);
      const base = ending ?? (r.reason === 'finished' && opts.maxDurationMs !== undefined ? { reason: 'maxDuration' as const } : EngineMediaEndpoint.basic(r));
      return { ...base, durationMs, ...(sizeBytes !== undefined ? { sizeBytes } : {}) };
    }, { onCancel: () => { ending ??= { reason: 'cancelled' }; } });
    const stop = (r: MediaResult): void => {
      if (ending) return;
      ending = r;
      void this.handle.cancel(op.id).catch(() => false);
    };
    this.on('speechStart', onSpeechStart);
    this.on('speechEnd', onSpeechEnd);
    this.on('dtmf', onDtmf);
    arm(opts.initialSilenceMs, { reason: 'silence' });
    return wrapped;
  }

  async detectDtmf(on: boolean): Promise<void> {
    this.check();
    this.dtmfOn = on;
    await this.applyDetect();
  }

  /** VAD plus utterance capture for recognition. */
  async detectSpeech(on: boolean): Promise<void> {
    this.check();
    if (this.speechOn === on) return;
    this.speechOn = on;
    await this.applyDetect();
    if (on) await this.startCapture();
    else await this.stopCapture();
  }

  private async startCapture(): Promise<void> {
    if (this.capture || this.userRecording || this.isClosed || !this.speechOn) return;
    const file = join(this.o.scratchDir, `utterance-${process.pid}-${this.handle.id}-${++scratchSeq}.wav`);
    let op: Operation;
    try {
      op = await this.handle.record(file, { channels: 1, maxDurationMs: this.o.maxUtteranceMs ?? 15_000 });
    } catch (err) {
      this.logger.warn({ err, endpoint: this.id }, 'utterance capture could not start');
      return;
    }
    const c: Capture = { file, op, startedAt: this.clock.now() };
    this.capture = c;
    // A capture that ran to its limit without an end of speech starts over (the audio is dropped).
    void op.done.then((r) => {
      if (this.capture !== c) return;
      this.capture = undefined;
      void unlink(file).catch(() => {});
      if (r.reason === 'finished') void this.startCapture();
    });
  }

  private async stopCapture(): Promise<void> {
    const c = this.capture;
    if (!c) return;
    this.capture = undefined;
    await this.handle.cancel(c.op.id).catch(() => false);
    await c.op.done;
    await unlink(c.file).catch(() => {});
  }

  /** End of speech: close the scratch file, hand its audio to core, start the next capture. */
  private async cutUtterance(): Promise<void> {
    const c = this.capture;
    if (!c) return;
    this.capture = undefined;
    await this.handle.cancel(c.op.id).catch(() => false);
    await c.op.done;
    try {
      const wav = decodePcmWav(await readFile(c.file));
      if (!this.isClosed && wav.samples.length > 0) this.emit('utterance', wav);
    } catch (err) {
      this.logger.warn({ err, endpoint: this.id }, 'captured utterance unreadable');
    } finally {
      await unlink(c.file).catch(() => {});
    }
    await this.startCapture();
  }

  async sendDtmf(digits: string, opts: { durationMs?: number } = {}): Promise<MediaOperation> {
    this.check();
    const op = await this.handle.sendDtmf(digits, { ...(opts.durationMs ? { durationMs: opts.durationMs } : {}) });
    return this.wrap(op, EngineMediaEndpoint.basic);
  }

  /** Several taps share the engine's one stream-out hook (see AudioTapFanout). */
  async openTap(opts: TapOptions): Promise<AudioTap> {
    this.check();
    this.taps ??= new AudioTapFanout(this.handle, this.logger, this.id);
    return this.taps.openTap(opts);
  }

  async streamIn(samples: Int16Array, rate: 16000 | 24000): Promise<void> {
    this.check();
    await this.handle.streamIn(samples, rate);
  }

  async clearStreamIn(): Promise<void> {
    this.check();
    await this.handle.clearStream();
  }

  /** Two-party bridge; both endpoints must live in the same media worker (the engine's rule). */
  async connect(other: MediaEndpoint): Promise<void> {
    this.check();
    if (!(other instanceof EngineMediaEndpoint)) throw new TypeError('can only connect to another engine endpoint');
    await this.handle.connect(other.handle);
  }

  async disconnect(): Promise<void> {
    this.check();
    await this.handle.disconnect();
  }

  /**
   * Engine mute (EndpointUpdate.muted): what the peer sends is no longer passed on — not to a
   * bridged endpoint, not into a mix — while this leg still hears everything and its own
   * detectors and recordings still get its audio. In a conference core uses the mixer's
   * per-member mute instead (src/adapters/engine-mixer.ts).
   */
  async mute(): Promise<void> {
    this.check();
    await this.handle.update({ muted: true });
  }

  async unmute(): Promise<void> {
    this.check();
    await this.handle.update({ muted: false });
  }

  async stopAll(): Promise<void> {
    this.check();
    await this.handle.stopAll();
  }

  async stats(): Promise<MediaStats> {
    this.check();
    const s = await this.handle.stats();
    return { packetsReceived: s.packetsIn, packetsLost: s.lost, jitterMs: s.jitterMs, ...(s.rttMs !== undefined ? { rttMs: s.rttMs } : {}) };
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    const c = this.capture;
    this.capture = undefined;
    await this.handle.close();
    this.markClosed('closed');
    if (c) await unlink(c.file).catch(() => {});
  }
}
