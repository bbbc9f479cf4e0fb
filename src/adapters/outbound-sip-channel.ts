// OutboundSipChannel: the SipChannel of a leg we dial, with the failure paths a caller must
// not wait for.
//
//  - Ring timeout with no response at all from the far end (a dead or firewalled host): RFC
//    3261 §9.1 forbids a CANCEL before a provisional response, so the INVITE transaction would
//    keep the leg 'dialing' until Timer B (64·T1 = 32 s) or longer. hangup() in that state
//    reports the leg ended at once (reason as asked, e.g. 'no-answer', status 408) and leaves
//    the session to finish in the background: a late provisional gets the CANCEL then, a late
//    2xx is ACKed and BYEd by the session (OutgoingSession cancelWith / on2xx).
//  - The far end cannot be reached (TCP/TLS connection refused, ICMP on a stream transport):
//    end reason 'unreachable' (status 503) instead of the generic 'error'; Timer B running out
//    (no answer to the INVITE at all) is 'unreachable' with status 408.
//
// PARTIAL: over UDP an ICMP port-unreachable is not reported by Node's unconnected dgram
// sockets, so a dead UDP host fails at the ring timeout, not earlier (docs/sip.md).
import type { ChannelEvents, HangupInfo } from '../core/index.ts';
import type { OutgoingSession } from '../sip/index.ts';
import { SipChannel, type SipChannelOptions } from './sip-channel.ts';

export class OutboundSipChannel extends SipChannel {
  /** Set once hangup() reported the leg ended ahead of its session. */
  private reportedEarly = false;

  constructor(private readonly out: OutgoingSession, o: SipChannelOptions) {
    super(out, 'outbound', o);
  }

  override async hangup(reason = 'normal'): Promise<void> {
    if (!this.reportedEarly && !this.closed && this.session === this.out && this.out.state === 'initial') {
      // Nothing heard from the far end: do not wait for Timer B to tell core the leg is gone.
      this.reportedEarly = true;
      this.emit('hangup', { by: 'local', reason, sipStatus: 408 });
      void super.hangup(reason).catch(() => {});
      return;
    }
    return super.hangup(reason);
  }

  /** Core hears of a leg's end once: the session's own end after an early report is dropped. */
  override emit<K extends keyof ChannelEvents>(event: K, ...args: ChannelEvents[K]): boolean {
    if (event !== 'hangup') return super.emit(event, ...(args as never));
    if (this.hangupEmitted) return false;
    this.hangupEmitted = true;
    return super.emit('hangup', this.clarify(args[0] as HangupInfo));
  }

  private hangupEmitted = false;

  /** Transport failures and Timer B get a reason a caller can act on. */
  private clarify(info: HangupInfo): HangupInfo {
    const t = this.out.termination;
    if (this.reportedEarly || !t || this.session !== this.out) return info;
    if (t.reason === 'transport-error') return { by: 'system', reason: 'unreachable', sipStatus: 503 };
    if (t.reason === 'request-timeout') return { by: 'system', reason: 'unreachable', sipStatus: 408 };
    return info;
  }
}
