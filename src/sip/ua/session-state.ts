// The INVITE session's state, events and the small value types its events carry. Shared by
// IncomingSession (UAS) and OutgoingSession (UAC) through InviteSession.
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { ReferSubscription } from './refer-subscription.ts';

/**
 * Session state. Transitions happen only in InviteSession.setState.
 *
 * ```
 *              1xx sent/received           2xx sent (UAS)          ACK received
 *  initial ───────────────────────► early ───────────────► answered ─────────────► established
 *     │                               │   2xx received (UAC, ACK sent at once) ──────►   │
 *     │ final ≥300, CANCEL, timeout   │                                                  │ bye()
 *     └───────────────────────────────┴──────────────► terminated ◄── terminating ◄──────┘
 *                                                          ▲  BYE received, no ACK, expiry │
 *                                                          └───────────────────────────────┘
 * ```
 * A 2xx may also come straight from `initial` (no provisional response).
 */
export type SessionState = 'initial' | 'early' | 'answered' | 'established' | 'terminating' | 'terminated';

/** Why a session ended and who ended it. */
export interface TerminationInfo {
  /** local: our bye()/cancel()/reject(); remote: the peer; timeout: a timer ran out. */
  by: 'local' | 'remote' | 'timeout';
  reason:
    | 'bye' | 'cancelled' | 'rejected' | 'redirected' | 'no-ack' | 'no-answer' | 'session-expired'
    | 'request-timeout' | 'transport-error' | 'dialog-gone' | 'prack-timeout' | 'closed';
  /** The final status involved, when there was one (e.g. 486 for a rejected INVITE). */
  status?: number;
}

/** A session description offered by the peer (RFC 3264) — opaque bytes to the SIP layer. */
export interface SessionBody {
  body: Buffer;
  contentType: string;
}

/** How the application answers an offer in a re-INVITE or UPDATE. Call exactly one. */
export interface OfferReply {
  /** 200 with our answer; default content type application/sdp. */
  accept(body: Buffer | string, contentType?: string): void;
  /** Refuse the offer; default 488 Not Acceptable Here. The session continues unchanged. */
  reject(status?: number, reason?: string): void;
}

/** An INFO request (RFC 6086) — already answered 200. */
export interface InfoEvent {
  contentType: string | undefined;
  body: Buffer;
  request: SipRequest;
}

/** A REFER (RFC 3515) waiting for the application's decision. */
export interface IncomingRefer {
  request: SipRequest;
  /** Refer-To value as received (name-addr, may carry ?Replaces=…). */
  referTo: string;
  referredBy: string | undefined;
  /** True when the referrer asked for no implicit subscription (RFC 4488 Refer-Sub: false). */
  noSubscription: boolean;
  /** 202 Accepted; returns the subscription to report progress on (undefined with Refer-Sub: false). */
  accept(): ReferSubscription | undefined;
  /** Refuse; default 603 Decline. */
  reject(status?: number, reason?: string): void;
}

/** A NOTIFY about a REFER we sent (RFC 3515 §2.4.5) — already answered 200. */
export interface ReferNotify {
  /** Status line of the sipfrag body ("SIP/2.0 200 OK" → 200); undefined if unreadable. */
  status: number | undefined;
  /** True when Subscription-State says terminated. */
  terminated: boolean;
  request: SipRequest;
}

/** Events of an INVITE session (IncomingSession and OutgoingSession share one map). */
export interface InviteSessionEvents {
  /** UAC: a provisional response (early dialog when it has a To tag). */
  progress: [res: SipResponse];
  /** UAC: the call was answered; ACK is already sent. */
  accepted: [res: SipResponse];
  /** UAC: final response ≥300 (after any auth retry). */
  rejected: [res: SipResponse];
  /** UAS: the ACK for our 2xx arrived. */
  ack: [req: SipRequest];
  /** UAS: the caller cancelled; 487 was sent. */
  cancelled: [req: SipRequest];
  /** UAS: PRACK for a reliable provisional response (RFC 3262). */
  prack: [req: SipRequest];
  /** UAS: no ACK came for our 2xx (§13.3.1.4); BYE was sent. */
  failed: [reason: string];
  /** A re-INVITE or UPDATE carrying an offer. Without a listener the current SDP is re-sent. */
  offer: [offer: SessionBody, reply: OfferReply];
  info: [info: InfoEvent];
  refer: [refer: IncomingRefer];
  referNotify: [notify: ReferNotify];
  /**
   * RFC 3891 §3: a new INVITE whose Replaces header names this confirmed dialog (already
   * authenticated like any INVITE). The listener answers or rejects it, and ends this dialog
   * (BYE) once the new one is up. Without a listener the UserAgent answers it 603.
   */
  replaced: [incoming: import('./incoming-session.ts').IncomingSession];
  /** The peer hung up; 200 was sent. */
  bye: [req: SipRequest];
  terminated: [info: TerminationInfo];
}

/** A request the peer refused, or that never got an answer. */
export class SessionRequestError extends Error {
  constructor(
    message: string,
    /** The final response, when there was one. */
    readonly response?: SipResponse,
  ) {
    super(message);
    this.name = 'SessionRequestError';
  }
}
