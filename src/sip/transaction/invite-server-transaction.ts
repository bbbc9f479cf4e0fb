// INVITE server transaction (RFC 3261 §17.2.1, amended by RFC 6026 §7.1 and §8.5–§8.7).
// Sends 100 Trying, absorbs retransmitted INVITEs by re-sending the last response,
// retransmits non-2xx final responses until the ACK (timer G/H), and after a 2xx stays in
// Accepted for timer L so that retransmitted INVITEs are absorbed and matching ACKs reach the
// TU. It never retransmits a 2xx by itself: that is the TU's job (§13.3.1.4).
//
//                    2xx from TU                 Timer L (64·T1)
//   Proceeding ------------------------> Accepted ------------------> Terminated
//    |    ^ 1xx from TU                                                 ^  ^  ^
//    |    +--+                                                          |  |  |
//    | 300-699 from TU       ACK          Timer I (T4; 0 reliable)      |  |  |
//    +-------------> Completed ----> Confirmed -------------------------+  |  |
//                      |  Timer H (64·T1): TU informed                     |  |
//                      +---------------------------------------------------+  |
//          transport error in any state: TU informed                          |
//    -------------------------------------------------------------------------+
//
//   state       event                   action                                next
//   Proceeding  INVITE retransmission   resend last provisional               Proceeding
//   Completed   INVITE retransmission   resend final                          Completed
//   Completed   Timer G (unreliable)    resend final, G = min(2G, T2)         Completed
//   Completed   ACK                     stop G, H; Timer I                    Confirmed
//   Confirmed   INVITE, ACK             absorbed                              Confirmed
//   Accepted    2xx from TU             send (the TU retransmits, §13.3.1.4)  Accepted
//   Accepted    INVITE retransmission   absorbed (RFC 6026 §8.7)              Accepted
//   Accepted    matching ACK            to TU ('ack' event)                   Accepted
import type { TimerHandle } from '../../lib/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { Destination, Source } from '../transport/types.ts';
import { createResponse, parseNameAddr } from '../message/index.ts';
import { toError } from './transaction-context.ts';
import type { SendOwner, Transaction, TransactionContext } from './transaction-context.ts';
import type { ServerTransaction } from './types.ts';

export type InviteServerState = 'Proceeding' | 'Completed' | 'Confirmed' | 'Accepted' | 'Terminated';

/** When 100 Trying goes out (§17.2.1). */
export type TryingPolicy = 'immediate' | 'after200ms';

export class InviteServerTransaction implements ServerTransaction, Transaction, SendOwner {
  readonly kind = 'ist' as const;
  readonly id: string;
  readonly request: SipRequest;
  readonly source: Source;
  /** Where responses go (§18.2.2), fixed when the transaction is created. */
  readonly dest: Destination;
  /** Matched by RFC 2543 rules: To tags are checked by `matches*` below. */
  readonly is2543: boolean;
  private _state: InviteServerState = 'Proceeding';
  private readonly ctx: TransactionContext;
  private readonly reliable: boolean;
  /** The most recent provisional (Proceeding) or the final response (Completed/Accepted). */
  private lastResponse: SipResponse | undefined;
  /** Raw To of the 2xx, kept in Accepted instead of the whole response. */
  private acceptedTo: string | undefined;
  private timerTrying: TimerHandle | undefined;
  private timerG: TimerHandle | undefined;
  private intervalG: number;
  private timerH: TimerHandle | undefined;
  /** Timer I (Confirmed) or Timer L (Accepted). */
  private timerEnd: TimerHandle | undefined;

  constructor(ctx: TransactionContext, id: string, request: SipRequest, source: Source, dest: Destination,
    reliable: boolean, is2543: boolean) {
    this.ctx = ctx;
    this.id = id;
    this.request = request;
    this.source = source;
    this.dest = dest;
    this.reliable = reliable;
    this.is2543 = is2543;
    this.intervalG = ctx.timers.t1;
  }

  get state(): InviteServerState {
    return this._state;
  }

  /**
   * §17.2.1: "the server transaction MUST generate a 100 (Trying) response unless it knows
   * that the TU will generate a provisional or final response within 200 milliseconds".
   * 'immediate' sends it before the TU even sees the INVITE, which stops the caller's timer A
   * at once; 'after200ms' sends it only if the TU has not answered by then.
   */
  start(trying: TryingPolicy): void {
    if (trying === 'immediate') this.sendTrying();
    else this.timerTrying = this.ctx.clock.setTimeout(() => this.onTimerTrying(), 200);
  }

  respond(res: SipResponse): void {
    const status = res.status;
    if (!(status >= 100 && status <= 699)) throw new RangeError(`invalid response status ${status}`);
    switch (this._state) {
      case 'Proceeding':
        this.stopTrying();
        this.lastResponse = res;
        this.send(res);
        if (status < 200) return;
        if (status < 300) {
          // RFC 6026 §7.1: 2xx → Accepted; the TU retransmits the 2xx, we absorb INVITEs for timer L.
          this._state = 'Accepted';
          // Nothing in Accepted re-sends it, so do not hold the 2xx (and its SDP) for 64·T1:
          // keep only its raw To (for the tag of a 200 to CANCEL); RFC 2543 peers need the
          // whole response to match their ACK.
          if (!this.is2543) {
            this.acceptedTo = res.get('to');
            this.lastResponse = undefined;
          }
          this.timerEnd = this.ctx.clock.setTimeout(() => this.onTimerEnd(), this.ctx.timers.t64);
        } else {
          // §17.2.1: 300-699 → Completed; timer G (unreliable) and timer H.
          this._state = 'Completed';
          if (!this.reliable) this.timerG = this.ctx.clock.setTimeout(() => this.onTimerG(), this.intervalG);
          this.timerH = this.ctx.clock.setTimeout(() => this.onTimerH(), this.ctx.timers.t64);
        }
        return;
      case 'Accepted':
        // RFC 6026 §7.1: 2xx retransmissions from the TU go out; nothing else may follow a 2xx.
        if (status >= 200 && status < 300) this.send(res);
        else this.ctx.logger.warn({ tx: this.id, status }, 'response after 2xx dropped');
        return;
      default:
        this.ctx.logger.warn({ tx: this.id, status, state: this._state }, 'response after final response dropped');
    }
  }

  /** §17.2.1: a retransmitted INVITE gets the last response again; in Accepted/Confirmed it is absorbed. */
  receiveRetransmission(): void {
    if (this._state === 'Proceeding') {
      if (this.lastResponse !== undefined) this.send(this.lastResponse);
      else this.sendTrying(); // 'after200ms' and the TU is slow: the caller is clearly waiting
    } else if (this._state === 'Completed' && this.lastResponse !== undefined) {
      this.send(this.lastResponse);
    }
  }

  /**
   * An ACK matched this transaction. §17.2.1: in Completed it ends retransmissions (Confirmed).
   * RFC 6026 §7.1: in Accepted it is an ACK for the 2xx and goes to the TU.
   */
  receiveAck(ack: SipRequest, source: Source): void {
    if (this._state === 'Completed') {
      this.timerG?.cancel();
      this.timerH?.cancel();
      this.timerG = this.timerH = undefined;
      this._state = 'Confirmed';
      if (this.reliable) this.terminate();
      else this.timerEnd = this.ctx.clock.setTimeout(() => this.onTimerEnd(), this.ctx.timers.t4);
    } else if (this._state === 'Accepted') {
      this.ctx.emitAck(ack, source);
    }
  }

  /** RFC 2543 peers: a retransmitted INVITE (or a CANCEL for it) carries the INVITE's To tag. */
  matchesRequestToTag(req: SipRequest): boolean {
    return !this.is2543 || req.toTag === this.request.toTag;
  }

  /** RFC 2543 peers (§17.2.3): an ACK's To tag must equal the tag of the response we sent. */
  matchesAckToTag(ack: SipRequest): boolean {
    return !this.is2543 || (this.lastResponse !== undefined && ack.toTag === this.lastResponse.toTag);
  }

  /** The To tag our responses carry, if we sent one with a tag (§9.2: reuse it for the 200 to CANCEL). */
  responseToTag(): string | undefined {
    try {
      if (this.acceptedTo !== undefined) return parseNameAddr(this.acceptedTo).params.get('tag') ?? undefined;
      return this.lastResponse !== undefined && this.lastResponse.status > 100 ? this.lastResponse.toTag : undefined;
    } catch {
      return undefined; // a To the TU wrote badly must not keep the CANCEL from being answered
    }
  }

  dispose(): void {
    this.stopTrying();
    this.timerG?.cancel();
    this.timerH?.cancel();
    this.timerEnd?.cancel();
    this.timerG = this.timerH = this.timerEnd = undefined;
    this._state = 'Terminated';
  }

  private sendTrying(): void {
    const trying = createResponse(this.request, 100, 'Trying');
    this.lastResponse = trying;
    this.send(trying);
  }

  private stopTrying(): void {
    this.timerTrying?.cancel();
    this.timerTrying = undefined;
  }

  private send(res: SipResponse): void {
    this.ctx.send(res, this.dest, this, 'response');
  }

  private terminate(): void {
    if (this._state === 'Terminated') return;
    this.dispose();
    this.ctx.terminated(this);
  }

  private onTimerTrying(): void {
    this.timerTrying = undefined;
    if (this._state === 'Proceeding' && this.lastResponse === undefined) this.sendTrying();
  }

  /** §17.2.1: resend the final response, doubling the interval up to T2. */
  private onTimerG(): void {
    this.timerG = undefined;
    if (this._state !== 'Completed' || this.lastResponse === undefined) return;
    this.send(this.lastResponse);
    this.intervalG = Math.min(2 * this.intervalG, this.ctx.timers.t2);
    this.timerG = this.ctx.clock.setTimeout(() => this.onTimerG(), this.intervalG);
  }

  /** §17.2.1: no ACK within 64·T1 — terminate and tell the TU. */
  private onTimerH(): void {
    this.timerH = undefined;
    if (this._state !== 'Completed') return;
    this.terminate();
    this.ctx.emitServerError(this, 'timeout');
  }

  /** Timer I (Confirmed) or timer L (Accepted) ends the transaction. */
  private onTimerEnd(): void {
    this.timerEnd = undefined;
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
