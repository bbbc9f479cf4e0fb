// INVITE client transaction (RFC 3261 §17.1.1, amended by RFC 6026 §8.4–§8.6).
// Retransmits the INVITE over unreliable transports, ACKs non-2xx final responses itself, and
// passes every 2xx (first and retransmitted) to the TU, which ACKs 2xx responses on its own.
// It never sends ACK for a 2xx and never decides anything about dialogs.
//
//               1xx                2xx                 Timer M
//   Calling ----------> Proceeding ---------> Accepted ---------> Terminated
//    |  |                  |      ^ 2xx                             ^  ^
//    |  +------------------)------+                                 |  |
//    |  300-699            | 300-699            Timer D             |  |
//    +-------------------> Completed -------------------------------+  |
//    |            Timer B, transport error                             |
//    +-----------------------------------------------------------------+
//
//   state         event                  action                               next
//   Calling       Timer A (unreliable)   resend INVITE, A *= 2                Calling
//   Calling       Timer B (64·T1)        onTimeout                            Terminated
//   Calling       transport error        onTransportError                     Terminated
//   Calling/Proc. 1xx                    to TU; send a held CANCEL            Proceeding
//   Calling/Proc. 2xx                    to TU; Timer M = 64·T1               Accepted
//   Calling/Proc. 300-699                ACK; to TU; Timer D (0 if reliable)  Completed
//   Completed     300-699                ACK again                            Completed
//   Accepted      2xx                    to TU (RFC 6026 §8.4)                Accepted
import type { TimerHandle } from '../../lib/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { Destination } from '../transport/types.ts';
import { buildCancel, buildNon2xxAck } from './message-builders.ts';
import { toError } from './transaction-context.ts';
import type { SendOwner, SendWhat, Transaction, TransactionContext } from './transaction-context.ts';
import type { ClientTransaction, ClientTransactionHandlers } from './types.ts';

export type InviteClientState = 'Calling' | 'Proceeding' | 'Completed' | 'Accepted' | 'Terminated';

export class InviteClientTransaction implements ClientTransaction, Transaction, SendOwner {
  readonly kind = 'ict' as const;
  readonly id: string;
  readonly request: SipRequest;
  readonly dest: Destination;
  private _state: InviteClientState = 'Calling';
  private readonly ctx: TransactionContext;
  private readonly handlers: ClientTransactionHandlers;
  private readonly reliable: boolean;
  /** Timer A, then the interval it was last armed with (doubles each time, §17.1.1.2). */
  private timerA: TimerHandle | undefined;
  private intervalA: number;
  private timerB: TimerHandle | undefined;
  /** Timer D (Completed) or Timer M (Accepted): how long we linger to absorb retransmissions. */
  private timerLinger: TimerHandle | undefined;
  private ack: SipRequest | undefined;
  /** cancel() was called before any provisional response: §9.1 says wait for one. */
  private cancelPending = false;
  private cancelSent = false;

  constructor(ctx: TransactionContext, id: string, request: SipRequest, dest: Destination,
    handlers: ClientTransactionHandlers, reliable: boolean) {
    this.ctx = ctx;
    this.id = id;
    this.request = request;
    this.dest = dest;
    this.handlers = handlers;
    this.reliable = reliable;
    this.intervalA = ctx.timers.t1;
  }

  get state(): InviteClientState {
    return this._state;
  }

  /** §17.1.1.2: send the INVITE; start timer A (unreliable only) and timer B. */
  start(): void {
    this.ctx.send(this.request, this.dest, this, 'request');
    if (!this.reliable) this.timerA = this.ctx.clock.setTimeout(() => this.onTimerA(), this.intervalA);
    this.timerB = this.ctx.clock.setTimeout(() => this.onTimerB(), this.ctx.timers.t64);
  }

  receiveResponse(res: SipResponse): void {
    const status = res.status;
    switch (this._state) {
      case 'Calling':
      case 'Proceeding':
        if (status < 200) {
          if (this._state === 'Calling') {
            // §17.1.1.2: Proceeding stops retransmissions; timer B only guards the Calling state.
            this._state = 'Proceeding';
            this.stopTimersAB();
          }
          this.toTu(res);
          if (this.cancelPending) this.sendCancelNow();
        } else if (status < 300) {
          // RFC 6026 §8.4: 2xx → Accepted; timer M keeps the transaction to catch 2xx retransmissions.
          this.stopTimersAB();
          this.cancelPending = false;
          this._state = 'Accepted';
          this.timerLinger = this.ctx.clock.setTimeout(() => this.onLingerEnd(), this.ctx.timers.t64);
          this.toTu(res);
        } else {
          // §17.1.1.2: 300-699 → ACK, pass up, Completed; timer D (0 over reliable transports).
          this.stopTimersAB();
          this.cancelPending = false;
          this._state = 'Completed';
          const ack = buildNon2xxAck(this.request, res);
          this.ack = ack;
          this.ctx.send(ack, this.dest, this, 'ack');
          this.toTu(res);
          if (this._state !== 'Completed') break; // the TU may have closed the layer
          if (this.reliable) this.terminate();
          else this.timerLinger = this.ctx.clock.setTimeout(() => this.onLingerEnd(), this.ctx.timers.d);
        }
        break;
      case 'Completed':
        // §17.1.1.2: a retransmitted final response is ACKed again and not passed up.
        if (status >= 300 && this.ack !== undefined) this.ctx.send(this.ack, this.dest, this, 'ack');
        break;
      case 'Accepted':
        // RFC 6026 §8.4: retransmitted 2xx go to the TU (it re-sends its ACK); anything else is absorbed.
        if (status >= 200 && status < 300) this.toTu(res);
        break;
      case 'Terminated':
        break;
    }
  }

  /**
   * §9.1: CANCEL only once a provisional response came; before that, hold it until the first
   * 1xx. After a final response there is nothing to cancel (§9.1 "SHOULD NOT be sent").
   */
  cancel(): void {
    if (this.cancelSent || this.cancelPending) return;
    if (this._state === 'Calling') this.cancelPending = true;
    else if (this._state === 'Proceeding') this.sendCancelNow();
  }

  dispose(): void {
    this.stopTimersAB();
    this.timerLinger?.cancel();
    this.timerLinger = undefined;
    this._state = 'Terminated';
  }

  private sendCancelNow(): void {
    this.cancelPending = false;
    this.cancelSent = true;
    this.ctx.sendCancel(buildCancel(this.request), this.dest);
  }

  private toTu(res: SipResponse): void {
    try {
      this.handlers.onResponse(res);
    } catch (err) {
      this.ctx.logger.error({ err, tx: this.id }, 'onResponse handler threw');
    }
  }

  private stopTimersAB(): void {
    this.timerA?.cancel();
    this.timerA = undefined;
    this.timerB?.cancel();
    this.timerB = undefined;
  }

  private terminate(): void {
    if (this._state === 'Terminated') return;
    this.dispose();
    this.ctx.terminated(this);
  }

  /** §17.1.1.2: retransmit and double the interval (INVITE intervals are not capped at T2). */
  private onTimerA(): void {
    this.timerA = undefined;
    if (this._state !== 'Calling') return;
    this.ctx.send(this.request, this.dest, this, 'request');
    this.intervalA *= 2;
    this.timerA = this.ctx.clock.setTimeout(() => this.onTimerA(), this.intervalA);
  }

  /** §17.1.1.2: no response within 64·T1 — tell the TU (it treats this as 408, §8.1.3.4). */
  private onTimerB(): void {
    this.timerB = undefined;
    if (this._state !== 'Calling') return;
    this.terminate();
    try {
      this.handlers.onTimeout?.();
    } catch (err) {
      this.ctx.logger.error({ err, tx: this.id }, 'onTimeout handler threw');
    }
  }

  private onLingerEnd(): void {
    this.timerLinger = undefined;
    this.terminate();
  }

  /** §17.1.1.2 / §8.1.3.1: a transport error while Calling ends the transaction; the TU sees a 503. */
  /** Called by the layer when the transport failed (SendOwner). */
  sendFailed(err: unknown, what: SendWhat): void {
    if (what === 'ack') this.ackSendFailed(err);
    else this.requestSendFailed(err);
  }

  private requestSendFailed(err: unknown): void {
    if (this._state === 'Terminated') return;
    this.ctx.logger.warn({ err, tx: this.id }, 'INVITE could not be sent');
    // Once a response came the peer is reachable; a failed retransmission no longer matters.
    if (this._state !== 'Calling') return;
    this.terminate();
    try {
      this.handlers.onTransportError?.(toError(err));
    } catch (e) {
      this.ctx.logger.error({ err: e, tx: this.id }, 'onTransportError handler threw');
    }
  }

  /** RFC 3261 §17.1.1.2: a transport failure sending the ACK in Completed ends the transaction. */
  private ackSendFailed(err: unknown): void {
    if (this._state === 'Terminated') return;
    this.ctx.logger.warn({ err, tx: this.id }, 'ACK could not be sent');
    this.terminate();
  }
}
