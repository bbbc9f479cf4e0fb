// Non-INVITE client transaction (RFC 3261 §17.1.2). Retransmits the request over unreliable
// transports with timer E (T1 doubling, capped at T2; T2 once a provisional came), gives up at
// timer F, and lingers for timer K to absorb retransmitted final responses. Also carries CANCEL.
//
//             1xx                   200-699                Timer K (T4; 0 reliable)
//   Trying ---------> Proceeding ------------> Completed ------------> Terminated
//     |   \_____________200-699_____________^                          ^
//     |              Timer F (64·T1), transport error                  |
//     +----------------------------------------------------------------+
//                    (also from Proceeding)
//
//   state          event                  action                              next
//   Trying         Timer E (unreliable)   resend, E = min(2E, T2)             Trying
//   Proceeding     Timer E (unreliable)   resend, E = T2                      Proceeding
//   Trying/Proc.   1xx                    to TU                               Proceeding
//   Trying/Proc.   200-699                to TU; Timer K                      Completed
//   Trying/Proc.   Timer F                onTimeout                           Terminated
//   Trying/Proc.   transport error        onTransportError                    Terminated
//   Completed      any response           absorbed                            Completed
import type { TimerHandle } from '../../lib/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { Destination } from '../transport/types.ts';
import { toError } from './transaction-context.ts';
import type { SendOwner, Transaction, TransactionContext } from './transaction-context.ts';
import type { ClientTransaction, ClientTransactionHandlers } from './types.ts';

export type NonInviteClientState = 'Trying' | 'Proceeding' | 'Completed' | 'Terminated';

export class NonInviteClientTransaction implements ClientTransaction, Transaction, SendOwner {
  readonly kind = 'nict' as const;
  readonly id: string;
  readonly request: SipRequest;
  readonly dest: Destination;
  private _state: NonInviteClientState = 'Trying';
  private readonly ctx: TransactionContext;
  private readonly handlers: ClientTransactionHandlers;
  private readonly reliable: boolean;
  private timerE: TimerHandle | undefined;
  private intervalE: number;
  private timerF: TimerHandle | undefined;
  private timerK: TimerHandle | undefined;

  constructor(ctx: TransactionContext, id: string, request: SipRequest, dest: Destination,
    handlers: ClientTransactionHandlers, reliable: boolean) {
    this.ctx = ctx;
    this.id = id;
    this.request = request;
    this.dest = dest;
    this.handlers = handlers;
    this.reliable = reliable;
    this.intervalE = ctx.timers.t1;
  }

  get state(): NonInviteClientState {
    return this._state;
  }

  /** §17.1.2.2: send; timer E (unreliable only) and timer F. */
  start(): void {
    this.ctx.send(this.request, this.dest, this, 'request');
    if (!this.reliable) this.timerE = this.ctx.clock.setTimeout(() => this.onTimerE(), this.intervalE);
    this.timerF = this.ctx.clock.setTimeout(() => this.onTimerF(), this.ctx.timers.t64);
  }

  receiveResponse(res: SipResponse): void {
    if (this._state !== 'Trying' && this._state !== 'Proceeding') return; // §17.1.2.2: Completed absorbs
    if (res.status < 200) {
      this._state = 'Proceeding';
      this.toTu(res);
      return;
    }
    this.timerE?.cancel();
    this.timerE = undefined;
    this.timerF?.cancel();
    this.timerF = undefined;
    this._state = 'Completed';
    this.toTu(res);
    if (this._state !== 'Completed') return; // the TU may have closed the layer
    if (this.reliable) this.terminate();
    else this.timerK = this.ctx.clock.setTimeout(() => this.onTimerK(), this.ctx.timers.t4);
  }

  /** §9.1: "A CANCEL request SHOULD NOT be sent to cancel a request other than INVITE" — a no-op. */
  cancel(): void {
    this.ctx.logger.debug({ tx: this.id }, 'cancel() on a non-INVITE transaction ignored');
  }

  dispose(): void {
    this.timerE?.cancel();
    this.timerF?.cancel();
    this.timerK?.cancel();
    this.timerE = this.timerF = this.timerK = undefined;
    this._state = 'Terminated';
  }

  private terminate(): void {
    if (this._state === 'Terminated') return;
    this.dispose();
    this.ctx.terminated(this);
  }

  private toTu(res: SipResponse): void {
    try {
      this.handlers.onResponse(res);
    } catch (err) {
      this.ctx.logger.error({ err, tx: this.id }, 'onResponse handler threw');
    }
  }

  /** §17.1.2.2: in Trying the interval doubles up to T2; in Proceeding it is T2. */
  private onTimerE(): void {
    this.timerE = undefined;
    if (this._state !== 'Trying' && this._state !== 'Proceeding') return;
    this.ctx.send(this.request, this.dest, this, 'request');
    const t2 = this.ctx.timers.t2;
    this.intervalE = this._state === 'Trying' ? Math.min(2 * this.intervalE, t2) : t2;
    this.timerE = this.ctx.clock.setTimeout(() => this.onTimerE(), this.intervalE);
  }

  /** §17.1.2.2: timer F — the TU treats it as 408 (§8.1.3.4). */
  private onTimerF(): void {
    this.timerF = undefined;
    if (this._state !== 'Trying' && this._state !== 'Proceeding') return;
    this.terminate();
    try {
      this.handlers.onTimeout?.();
    } catch (err) {
      this.ctx.logger.error({ err, tx: this.id }, 'onTimeout handler threw');
    }
  }

  private onTimerK(): void {
    this.timerK = undefined;
    this.terminate();
  }

  /** §17.1.2.2 / §8.1.3.1: transport error → Terminated; the TU sees a 503. */
  /** Called by the layer when the transport failed (SendOwner). */
  sendFailed(err: unknown): void {
    if (this._state !== 'Trying' && this._state !== 'Proceeding') return;
    this.ctx.logger.warn({ err, tx: this.id }, 'request could not be sent');
    this.terminate();
    try {
      this.handlers.onTransportError?.(toError(err));
    } catch (e) {
      this.ctx.logger.error({ err: e, tx: this.id }, 'onTransportError handler threw');
    }
  }
}
