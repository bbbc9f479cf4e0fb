// Non-INVITE server transaction (RFC 3261 §17.2.2). Absorbs retransmitted requests by
// re-sending the last response and keeps the final response for timer J. It also answers
// CANCEL (§9.2), on the layer's behalf.
//
//              1xx from TU             200-699 from TU         Timer J (64·T1; 0 reliable)
//   Trying -------------> Proceeding -----------------> Completed ------------> Terminated
//     |  \_____________200-699 from TU_______________^                         ^   ^
//     |        transport error (any state): TU informed                        |   |
//     +------------------------------------------------------------------------+   |
//     abandon timer (not in the RFC; 64·T1 with no final response from the TU)     |
//     -----------------------------------------------------------------------------+
//
//   state        event                  action                         next
//   Trying       retransmission         discarded                      Trying
//   Proceeding   retransmission         resend last provisional        Proceeding
//   Completed    retransmission         resend final                   Completed
//   Completed    response from TU       dropped                        Completed
import type { TimerHandle } from '../../lib/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { Destination, Source } from '../transport/types.ts';
import { toError } from './transaction-context.ts';
import type { SendOwner, Transaction, TransactionContext } from './transaction-context.ts';
import type { ServerTransaction } from './types.ts';

export type NonInviteServerState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';

export class NonInviteServerTransaction implements ServerTransaction, Transaction, SendOwner {
  readonly kind = 'nist' as const;
  readonly id: string;
  readonly request: SipRequest;
  readonly source: Source;
  readonly dest: Destination;
  readonly is2543: boolean;
  private _state: NonInviteServerState = 'Trying';
  private readonly ctx: TransactionContext;
  private readonly reliable: boolean;
  private lastResponse: SipResponse | undefined;
  /**
   * Timer J in Completed; before that, the abandon timer. The abandon timer is ours, not the
   * RFC's: a TU that never answers must not leak the transaction, and the client gave up at
   * its timer F (64·T1) anyway.
   */
  private timer: TimerHandle | undefined;

  constructor(ctx: TransactionContext, id: string, request: SipRequest, source: Source, dest: Destination,
    reliable: boolean, is2543: boolean) {
    this.ctx = ctx;
    this.id = id;
    this.request = request;
    this.source = source;
    this.dest = dest;
    this.reliable = reliable;
    this.is2543 = is2543;
  }

  get state(): NonInviteServerState {
    return this._state;
  }

  start(): void {
    this.timer = this.ctx.clock.setTimeout(() => this.onAbandon(), this.ctx.timers.t64);
  }

  respond(res: SipResponse): void {
    const status = res.status;
    if (!(status >= 100 && status <= 699)) throw new RangeError(`invalid response status ${status}`);
    if (this._state !== 'Trying' && this._state !== 'Proceeding') {
      this.ctx.logger.warn({ tx: this.id, status, state: this._state }, 'response after final response dropped');
      return;
    }
    this.lastResponse = res;
    if (status < 200) {
      this._state = 'Proceeding';
      this.send(res);
      return;
    }
    // §17.2.2: final → Completed; timer J = 64·T1 unreliable, 0 reliable.
    this.timer?.cancel();
    this.timer = undefined;
    this._state = 'Completed';
    this.send(res);
    if (this.reliable) this.terminate();
    else if (this._state === 'Completed') this.timer = this.ctx.clock.setTimeout(() => this.onTimerJ(), this.ctx.timers.t64);
  }

  /** §17.2.2: Trying discards; Proceeding and Completed re-send the last response. */
  receiveRetransmission(): void {
    if (this._state === 'Proceeding' || this._state === 'Completed') {
      if (this.lastResponse !== undefined) this.send(this.lastResponse);
    }
  }

  /** RFC 2543 peers: a retransmission carries the same To tag as the original request. */
  matchesRequestToTag(req: SipRequest): boolean {
    return !this.is2543 || req.toTag === this.request.toTag;
  }

  dispose(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this._state = 'Terminated';
  }

  private send(res: SipResponse): void {
    this.ctx.send(res, this.dest, this, 'response');
  }

  private terminate(): void {
    if (this._state === 'Terminated') return;
    this.dispose();
    this.ctx.terminated(this);
  }

  private onTimerJ(): void {
    this.timer = undefined;
    this.terminate();
  }

  private onAbandon(): void {
    this.timer = undefined;
    this.ctx.logger.warn({ tx: this.id, method: this.request.method }, 'TU never answered; transaction abandoned');
    this.terminate();
  }

  /** §17.2.4: the transport failed — terminate and tell the TU. */
  /** Called by the layer when the transport failed (SendOwner). */
  sendFailed(err: unknown): void {
    if (this._state === 'Terminated') return;
    this.ctx.logger.warn({ err, tx: this.id }, 'response could not be sent');
    this.terminate();
    this.ctx.emitServerError(this, 'transport', toError(err));
  }
}
