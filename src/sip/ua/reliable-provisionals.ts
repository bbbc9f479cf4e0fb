// Reliable provisional responses on the UAS side (RFC 3262 §3): RSeq numbering, one
// unacknowledged response at a time, retransmission at T1 doubling until PRACK, and giving up
// after 64·T1. The INVITE server transaction sends each copy; this only decides when.
import type { Clock } from '../../lib/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { ServerTransaction } from '../transaction/index.ts';
import { Retransmitter } from './retransmitter.ts';

export class ReliableProvisionals {
  /** §3: the first RSeq is random in 1..2^31-1; we stay far below the top to leave room. */
  private rseq = 1 + Math.floor(Math.random() * 0x3fffffff);
  private outstanding: { rseq: number; retransmitter: Retransmitter } | undefined;
  private readonly queue: SipResponse[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly t1: number,
    private readonly stx: ServerTransaction,
    /** 64·T1 without PRACK: the caller rejects the INVITE with a 5xx (§3). */
    private readonly onTimeout: () => void,
  ) {}

  /** Number and send a provisional response reliably (queued behind an unacknowledged one). */
  send(res: SipResponse): void {
    res.set('require', '100rel');
    res.set('rseq', String(this.rseq++));
    if (this.outstanding) this.queue.push(res);
    else this.transmit(res);
  }

  private transmit(res: SipResponse): void {
    this.stx.respond(res);
    this.outstanding = {
      rseq: Number(res.get('rseq')),
      retransmitter: new Retransmitter({
        clock: this.clock, t1: this.t1, cap: Number.POSITIVE_INFINITY, giveUpAfter: 64 * this.t1,
        send: () => this.stx.respond(res),
        onGiveUp: () => {
          this.outstanding = undefined;
          this.queue.length = 0;
          this.onTimeout();
        },
      }),
    };
  }

  /** True when the PRACK's RAck (`rseq cseq method`) acknowledges the outstanding response. */
  acknowledge(prack: SipRequest): boolean {
    const rack = (prack.get('rack') ?? '').trim().split(/\s+/);
    const cur = this.outstanding;
    const inviteCseq = this.stx.request.cseq?.seq;
    if (!cur || Number(rack[0]) !== cur.rseq || Number(rack[1]) !== inviteCseq || rack[2]?.toUpperCase() !== 'INVITE') {
      return false;
    }
    cur.retransmitter.stop();
    this.outstanding = undefined;
    const next = this.queue.shift();
    if (next) this.transmit(next);
    return true;
  }

  get pending(): boolean {
    return this.outstanding !== undefined;
  }

  /** A final response went out: stop retransmitting (§3 lets the final overtake PRACKs). */
  stop(): void {
    this.outstanding?.retransmitter.stop();
    this.outstanding = undefined;
    this.queue.length = 0;
  }
}
