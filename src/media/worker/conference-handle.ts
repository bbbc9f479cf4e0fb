/**
 * The main thread's handle on a conference (a Mixer living in one media worker). Endpoints join
 * it with `endpoint.joinConference(conf, opts)`; they must live in the same worker, so create
 * them with `engine.createEndpoint({ …, near: conf })`. Cross-worker conferencing is not
 * relayed (see docs/media.md): co-location keeps a tick free of thread hops.
 *
 * ```
 *  open ──close() / engine.close() / worker exit──▶ closed  (members leave; they keep their calls)
 * ```
 */
import { EventEmitter } from 'node:events';
import { MediaClosedError } from './media-endpoint-handle.ts';

export interface ConferenceHandleEvents {
  closed: [ev: { reason: string }];
}

export class ConferenceHandle extends EventEmitter<ConferenceHandleEvents> {
  private isClosed = false;

  constructor(
    readonly id: number,
    readonly workerIndex: number,
    /** Media rate of the mix; members must run at it. */
    readonly rate: number,
    private readonly closeInWorker: (id: number) => Promise<void>,
  ) {
    super();
  }

  get closed(): boolean {
    return this.isClosed;
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
