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
  DetectOptions, DtmfEventData, EndpointStats, EndpointUpdate, OperationResult, PlayOptions, PlaySpec, RecordOptions,
} from '../engine/index.ts';
import type { EndpointCommand } from './protocol.ts';

export interface MediaEndpointEvents {
  dtmf: [ev: DtmfEventData];
  speech: [ev: { state: 'start' | 'end' }];
  /** No RTP for rtpTimeoutS (default 30 s); fires once per silence. */
  rtpTimeout: [ev: { silentMs: number }];
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
  command(ep: number, cmd: EndpointCommand): Promise<unknown>;
  nextOpId(): number;
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

  private cmd(cmd: EndpointCommand): Promise<unknown> {
    if (this.isClosed) return Promise.reject(new MediaClosedError());
    return this.transport.command(this.id, cmd);
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
      this.completeOp(id, { reason: 'error', error: (err as Error).message });
    }
    return { id, done };
  }

  /** Remote address, codec, direction from a new offer/answer (re-INVITE). */
  update(u: EndpointUpdate): Promise<void> {
    return this.cmd({ c: 'update', update: u }) as Promise<void>;
  }

  /** Play a list of prompts; a play already running on this endpoint is cancelled. */
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

  /** Record to a WAV file (mono: what the peer sends; stereo: peer left, us right). */
  record(path: string, opts: RecordOptions = {}): Promise<Operation> {
    return this.operation((op) => ({ c: 'record', op, path, opts }));
  }

  /** Two-party bridge: each endpoint sends what the other receives (both must be in the same worker: create with `near`). */
  async connect(other: MediaEndpointHandle): Promise<void> {
    if (other.isClosed) throw new MediaClosedError();
    if (other.workerIndex !== this.workerIndex) {
      throw Object.assign(new Error('endpoints in different workers cannot be bridged: create the second one with { near: first }'), { code: 'CROSS_WORKER' });
    }
    await this.cmd({ c: 'connect', peer: other.id });
  }

  disconnect(): Promise<void> {
    return this.cmd({ c: 'disconnect' }) as Promise<void>;
  }

  /** Send back what is received (after the reorder buffer). */
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
