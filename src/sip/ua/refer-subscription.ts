// The implicit subscription a REFER creates (RFC 3515 §2.4.4): the referee reports how its
// attempt to reach the Refer-To target goes with NOTIFYs carrying a message/sipfrag status
// line, and ends the subscription with the first final status.
import { reasonPhrase } from '../message/index.ts';

export type NotifySender = (headers: Array<[string, string]>, body: string, contentType: string) => Promise<unknown>;

export class ReferSubscription {
  private done = false;

  constructor(
    /** `refer;id=<CSeq of the REFER>` (RFC 3515 §2.4.6) — always carried, harmless for the first REFER. */
    readonly event: string,
    private readonly send: NotifySender,
    /** How long we claim the subscription lives, seconds; default 60. */
    private readonly expires = 60,
  ) {}

  get terminated(): boolean {
    return this.done;
  }

  /**
   * Report progress: 100 Trying, 180 Ringing, 200 OK, 486 Busy … A status ≥200 terminates the
   * subscription (Subscription-State: terminated;reason=noresource). Later calls are ignored.
   */
  notify(status: number, reason?: string): Promise<unknown> {
    if (this.done) return Promise.resolve(undefined);
    if (status >= 200) this.done = true;
    const state = this.done ? 'terminated;reason=noresource' : `active;expires=${this.expires}`;
    return this.send(
      [['event', this.event], ['subscription-state', state]],
      `SIP/2.0 ${status} ${reason ?? reasonPhrase(status)}\r\n`,
      'message/sipfrag;version=2.0',
    );
  }
}
