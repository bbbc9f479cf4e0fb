/**
 * The main thread's handle on a conference (a Mixer living in one media worker). Endpoints join
 * it with `endpoint.joinConference(conf, opts)`. Members of the same worker (created with
 * `engine.createEndpoint({ …, near: conf })`) join directly; a member of another worker is
 * relayed (relay-endpoint.ts, < 1 tick added delay; see docs/media.md "Across workers").
 *
 * Prompts play INTO the mix with `play()` (every member hears them, listen-only ones too;
 * members at other media rates hear them resampled like everything else in the mix).
 *
 * ```
 *  open ──close() / engine.close() / worker exit──▶ closed  (members leave; they keep their calls;
 *                                                           running plays complete 'cancelled')
 * ```
 */
import { EventEmitter } from 'node:events';
import type { OperationResult, PlaySpec } from '../engine/index.ts';
import { MediaClosedError, type Operation } from './media-endpoint-handle.ts';
import type { MainToWorker } from './protocol.ts';

/** Operation ids of conference plays (unique per process; the worker keys them per conference). */
let nextPlayOp = 1;

export interface ConferenceHandleEvents {
  closed: [ev: { reason: string }];
}

export class ConferenceHandle extends EventEmitter<ConferenceHandleEvents> {
  private isClosed = false;

  constructor(
    readonly id: number,
    readonly workerIndex: number,
    /** Media rate of the mix; members at other rates are resampled to it and back. */
    readonly rate: number,
    private readonly closeInWorker: (id: number) => Promise<void>,
    /** Sends a request to the conference's worker (default none: play() completes with 'error'). */
    private readonly request?: (build: (req: number) => MainToWorker) => Promise<unknown>,
  ) {
    super();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Play `specs` into the mix (rendered at the conference rate) as an operation. Several plays
   * may run at once. `done` resolves once: 'finished', 'cancelled' (cancelPlay, close), or
   * 'error' (a prompt that cannot be opened, with the player's code; the conference or its
   * worker gone). `opts.loop`: times to play the list, 0 = until cancelled; default 1.
   */
  async play(specs: PlaySpec[], opts: { loop?: number } = {}): Promise<Operation> {
    if (this.isClosed) throw new MediaClosedError();
    const id = nextPlayOp++;
    const send = this.request;
    const done: Promise<OperationResult> = send
      ? send((req) => ({ t: 'playConference', req, conf: this.id, op: id, specs, opts })).then(
        (v) => v as OperationResult,
        (err: Error & { code?: unknown }) => ({ reason: 'error' as const, error: err.message, ...(typeof err.code === 'string' ? { code: err.code } : {}) }),
      )
      : Promise.resolve({ reason: 'error' as const, error: 'this conference handle cannot play (no worker channel)' });
    return { id, done };
  }

  /** Stop conference play `op`; false when it is not playing (finished, cancelled, unknown). */
  async cancelPlay(op: number): Promise<boolean> {
    if (this.isClosed || !this.request) return false;
    try {
      return (await this.request((req) => ({ t: 'cancelConferencePlay', req, conf: this.id, op }))) as boolean;
    } catch (err) {
      if (err instanceof MediaClosedError) return false;
      throw err;
    }
  }

  /** Close the mix (members leave it and fall back to silence). Idempotent. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    try {
      await this.closeInWorker(this.id);
    } catch (err) {
      if (!(err instanceof MediaClosedError)) throw err;
    }
    this.markClosed('closed');
  }

  /** @internal */
  markClosed(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.emit('closed', { reason });
  }
}
