/**
 * The main thread's handle on one media endpoint living in a worker. Every method is an async
 * command to that worker; long-running ones (play, record, sendDtmf) return an Operation whose
 * `done` completes with a result, or with 'cancelled' when cancelled or when the endpoint
 * closes. Once closed (by close(), by engine.close(), or because its worker died) every command
 * rejects with MediaClosedError, and 'closed' is emitted exactly once.
 *
 * ```
 *  open ──close() / engine.close() / worker exit──▶ closed  (pending operations → 'cancelled')
 * ```
 */
import { EventEmitter } from 'node:events';
import type {
  ConferenceJoinOptions, DetectOptions, DtmfEventData, EndpointStats, EndpointUpdate, OperationResult, PlayOptions, PlaySpec, RecordOptions, StreamOptions,
} from '../engine/index.ts';
import type { ConferenceHandle } from './conference-handle.ts';
import type { EndpointCommand } from './protocol.ts';

export interface MediaEndpointEvents {
  dtmf: [ev: DtmfEventData];
  speech: [ev: { state: 'start' | 'end' }];
  /** No RTP for rtpTimeoutS (default 30 s); fires once per silence. */
  rtpTimeout: [ev: { silentMs: number }];
  /** Streaming out (startStream): one 20 ms chunk at the stream rate; `pcm` is owned by the listener (transferable). */
  audio: [ev: { rate: number; pcm: Int16Array }];
  /** Streaming in: the audio queued before markStream(name) has been played (cleared: discarded by clearStream/close). */
  mark: [ev: { name: string; cleared: boolean }];
  closed: [ev: { reason: string }];
}

export interface Operation {
  id: number;
  done: Promise<OperationResult>;
}

export class MediaClosedError extends Error {
  readonly code = 'MEDIA_ENDPOINT_CLOSED';
  constructor() {
    super('media endpoint is closed');
  }
}

/** What the handle needs from the engine (kept narrow so tests can fake it). */
export interface HandleTransport {
  command(ep: number, cmd: EndpointCommand, transfer?: ArrayBuffer[]): Promise<unknown>;
  nextOpId(): number;
  /** Stream-out flow control: `batches` audio batches were delivered to listeners. Default: no flow control. */
  streamAck?(ep: number, batches: number): void;
  /** Cross-worker links (relay-endpoint.ts). Absent: bridging/joining across workers is refused with CROSS_WORKER. */
  links?: CrossWorkerLinks;
}

/** What the engine does for a handle when a bridge or conference crosses media workers. */
export interface CrossWorkerLinks {
  /** Bridge `a` and `b` (different workers) through a relay pair. */
  bridge(a: MediaEndpointHandle, b: MediaEndpointHandle): Promise<void>;
  /** Close every cross-worker bridge of `ep` (after a local disconnect). */
  unbridge(ep: MediaEndpointHandle): Promise<void>;
  /** Join `ep` to `conf` in another worker (or change its options when it is already in it). */
  join(ep: MediaEndpointHandle, conf: ConferenceHandle, opts: ConferenceJoinOptions): Promise<void>;
  update(ep: MediaEndpointHandle, opts: ConferenceJoinOptions): Promise<void>;
  leave(ep: MediaEndpointHandle): Promise<void>;
  /** The conference of another worker `ep` is in through a relay, if any. */
  remoteConference(ep: MediaEndpointHandle): ConferenceHandle | undefined;
}

export class MediaEndpointHandle extends EventEmitter<MediaEndpointEvents> {
  private isClosed = false;
  private readonly ops = new Map<number, (r: OperationResult) => void>();

  constructor(
    readonly id: number,
    readonly workerIndex: number,
    readonly localPort: number,
    readonly localRtcpPort: number,
    readonly ssrc: number,
    private readonly transport: HandleTransport,
  ) {
    super();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private cmd(cmd: EndpointCommand, transfer?: ArrayBuffer[]): Promise<unknown> {
    if (this.isClosed) return Promise.reject(new MediaClosedError());
    return this.transport.command(this.id, cmd, transfer);
  }

  /** Start an operation; a failing start completes it with 'error' instead of rejecting. */
  private async operation(make: (op: number) => EndpointCommand): Promise<Operation> {
    if (this.isClosed) throw new MediaClosedError();
    const id = this.transport.nextOpId();
    const done = new Promise<OperationResult>((resolve) => this.ops.set(id, resolve));
    try {
      await this.transport.command(this.id, make(id));
    } catch (err) {
      if (err instanceof MediaClosedError) {
        this.ops.delete(id);
        throw err;
      }
      const e = err as Error & { code?: unknown };
      this.completeOp(id, { reason: 'error', error: e.message, ...(typeof e.code === 'string' ? { code: e.code } : {}) });
    }
    return { id, done };
  }

  /** Remote address, codec, direction from a new offer/answer (re-INVITE). */
  update(u: EndpointUpdate): Promise<void> {
    return this.cmd({ c: 'update', update: u }) as Promise<void>;
  }

  /**
   * Play a list of prompts; a play already running on this endpoint is cancelled. A prompt that
   * cannot be opened completes the operation with reason 'error' and the player's code
   * (NOT_FOUND, TOO_LARGE, UNSUPPORTED_FORMAT, FETCH_FAILED). bargeIn 'speech'/'any' starts a VAD
   * on the endpoint if none runs.
   */
  play(specs: PlaySpec[], opts: PlayOptions = {}): Promise<Operation> {
    return this.operation((op) => ({ c: 'play', op, specs, opts }));
  }

  /** Cancel an operation; resolves false when it had already completed. */
  cancel(opId: number): Promise<boolean> {
    return this.cmd({ c: 'cancel', op: opId }) as Promise<boolean>;
  }

  stopAll(): Promise<void> {
    return this.cmd({ c: 'stopAll' }) as Promise<void>;
  }

  /** RFC 4733 telephone-events, one digit after another; done when the last end packets went out. Default 100 ms per digit. */
  sendDtmf(digits: string, opts: { durationMs?: number } = {}): Promise<Operation> {
    if (!/^[0-9*#A-D]+$/i.test(digits)) return Promise.reject(new RangeError(`not DTMF digits: ${JSON.stringify(digits)}`));
    return this.operation((op) => ({ c: 'sendDtmf', op, digits, durationMs: opts.durationMs ?? 100 }));
  }

  /** A digit from signaling (SIP INFO application/dtmf-relay) joins the same 'dtmf' stream. */
  injectDtmf(digit: string, source: 'info' = 'info', durationMs = 0): Promise<void> {
    void source;
    return this.cmd({ c: 'injectDtmf', digit, durationMs }) as Promise<void>;
  }

  /** Choose detectors: RFC 4733 (default on), in-band DTMF, VAD. */
  detect(opts: DetectOptions): Promise<void> {
    return this.cmd({ c: 'detect', opts }) as Promise<void>;
  }

  /** Record to a WAV file (mono: mix of what the peer sends and what we send; stereo: peer left, us right). */
  record(path: string, opts: RecordOptions = {}): Promise<Operation> {
    return this.operation((op) => ({ c: 'record', op, path, opts }));
  }

  /**
   * Pause (true) or resume (false) the recording operation `op` (its Operation.id). While paused
   * nothing is written; resuming continues the same file, and the durationMs reported when it
   * completes excludes the paused time. For an operation that already completed (or is not a
   * recording of this endpoint) it is a no-op that still resolves.
   */
  async setRecordingPaused(op: number, paused: boolean): Promise<void> {
    await this.cmd({ c: 'pauseRecord', op, paused });
  }

  /**
   * Two-party bridge: each endpoint sends what the other receives. Endpoints in different
   * workers are bridged through a relay pair (SharedArrayBuffer frame rings, < 1 tick added
   * delay); in the same worker (create with `near`) directly, with no added delay.
   */
  async connect(other: MediaEndpointHandle): Promise<void> {
    if (other.isClosed || this.isClosed) throw new MediaClosedError();
    if (other.workerIndex !== this.workerIndex) {
      if (!this.transport.links) {
        throw Object.assign(new Error('endpoints in different workers cannot be bridged: create the second one with { near: first }'), { code: 'CROSS_WORKER' });
      }
      await this.transport.links.bridge(this, other);
      return;
    }
    await this.cmd({ c: 'connect', peer: other.id });
  }

  async disconnect(): Promise<void> {
    await this.cmd({ c: 'disconnect' });
    await this.transport.links?.unbridge(this);
  }

  /**
   * Streaming hook, out: from now on emit 'audio' with the leg's decoded audio (or, mixed, the
   * peer plus what we send) as 20 ms chunks at 16 or 24 kHz. A listener slower than real time
   * loses the oldest audio (counted in stats().streamDropped), never delays it.
   */
  startStream(opts: StreamOptions): Promise<void> {
    if (opts.rate !== 16000 && opts.rate !== 24000) return Promise.reject(new RangeError('stream rate must be 16000 or 24000'));
    return this.cmd({ c: 'startStream', opts }) as Promise<void>;
  }

  stopStream(): Promise<void> {
    return this.cmd({ c: 'stopStream' }) as Promise<void>;
  }

  /**
   * Streaming hook, in: queue PCM at 16 or 24 kHz for playout (after what is queued). It plays
   * whenever no play operation runs. `pcm`'s buffer is transferred to the worker (unusable here
   * afterwards) when it is exactly the array's own buffer, copied otherwise.
   */
  streamIn(pcm: Int16Array, rate: 16000 | 24000): Promise<void> {
    if (rate !== 16000 && rate !== 24000) return Promise.reject(new RangeError('stream-in rate must be 16000 or 24000'));
    const own = pcm.byteOffset === 0 && pcm.byteLength === pcm.buffer.byteLength && pcm.buffer instanceof ArrayBuffer;
    return this.cmd({ c: 'streamIn', pcm, rate }, own ? [pcm.buffer as ArrayBuffer] : undefined) as Promise<void>;
  }

  /** 'mark' {name} fires once all stream-in audio queued so far has been played. */
  markStream(name: string): Promise<void> {
    return this.cmd({ c: 'markStream', name }) as Promise<void>;
  }

  /** Drop the queued stream-in audio (barge-in); pending marks fire with cleared = true. */
  clearStream(): Promise<void> {
    return this.cmd({ c: 'clearStream' }) as Promise<void>;
  }

  /**
   * Join a conference (mix-minus: we hear everyone else, they hear us unless muted/listenOnly;
   * whisperTo: only that endpoint hears us). A conference in another worker is joined through a
   * relay pair (< 1 tick added delay; a bridge of this endpoint ends, as the relay becomes its
   * partner); in the same worker (create with { near: conference }) directly. Joining another
   * conference leaves this one.
   */
  async joinConference(conf: ConferenceHandle, opts: Omit<ConferenceJoinOptions, 'whisperTo'> & { whisperTo?: MediaEndpointHandle } = {}): Promise<void> {
    if (conf.closed) throw Object.assign(new Error('conference is closed'), { code: 'CONFERENCE_CLOSED' });
    const { whisperTo, ...rest } = opts;
    const o: ConferenceJoinOptions = { ...rest, ...(whisperTo ? { whisperTo: whisperTo.id } : {}) };
    const links = this.transport.links;
    if (conf.workerIndex !== this.workerIndex) {
      if (!links) throw Object.assign(new Error('the conference lives in another media worker: create the endpoint with { near: conference }'), { code: 'CROSS_WORKER' });
      if (this.isClosed) throw new MediaClosedError();
      await links.join(this, conf, o);
      return;
    }
    if (links?.remoteConference(this)) await links.leave(this);
    await this.cmd({ c: 'joinConference', conf: conf.id, opts: o });
  }

  /** Change mute, gain, listen-only or whisper target in the current conference (whisperTo null = everyone hears). */
  updateConference(opts: Omit<ConferenceJoinOptions, 'whisperTo'> & { whisperTo?: MediaEndpointHandle | null }): Promise<void> {
    const { whisperTo, ...rest } = opts;
    const o: ConferenceJoinOptions = whisperTo === undefined ? rest : whisperTo === null ? { ...rest, whisperTo: undefined } : { ...rest, whisperTo: whisperTo.id };
    const links = this.transport.links;
    if (links?.remoteConference(this) && !this.isClosed) return links.update(this, o);
    return this.cmd({ c: 'updateConference', opts: o }) as Promise<void>;
  }

  async leaveConference(): Promise<void> {
    const links = this.transport.links;
    if (links?.remoteConference(this) && !this.isClosed) return links.leave(this);
    await this.cmd({ c: 'leaveConference' });
  }

  /** Send back what is received (after the jitter buffer). */
  echo(on: boolean): Promise<void> {
    return this.cmd({ c: 'echo', on }) as Promise<void>;
  }

  stats(): Promise<EndpointStats> {
    return this.cmd({ c: 'stats' }) as Promise<EndpointStats>;
  }

  /** Close the endpoint (sockets, operations). Idempotent; resolves once the worker has closed it. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    try {
      await this.transport.command(this.id, { c: 'close' });
    } catch {
      // Worker already gone: the endpoint is closed anyway.
    }
    this.markClosed('closed');
  }

  // ---- called by the engine ----

  /** @internal Stream-out chunks from the worker: one 'audio' event each, then acknowledged. */
  deliverAudio(rate: number, frames: Int16Array[]): void {
    if (this.isClosed) return;
    for (const pcm of frames) this.emit('audio', { rate, pcm });
    this.transport.streamAck?.(this.id, 1);
  }

  /** @internal */
  completeOp(op: number, result: OperationResult): void {
    const resolve = this.ops.get(op);
    if (!resolve) return;
    this.ops.delete(op);
    resolve(result);
  }

  /** @internal The endpoint is gone (close, engine close, worker exit). */
  markClosed(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const [op, resolve] of this.ops) {
      this.ops.delete(op);
      resolve({ reason: 'cancelled' });
    }
    this.emit('closed', { reason });
  }
}
