// The Channel port: one leg's signaling, as core needs it. Adapters implement it over sip/
// (and later webrtc/); core never sees a SIP message. A Channel is created by the adapter for
// an incoming call, or by a ChannelFactory for an outbound leg.
//
// It must never carry media: that is the MediaEndpoint's job (./media-endpoint.ts).
//
// Close cascade: hangup()/reject()/redirect() end the dialog; the adapter then emits 'hangup'
// once (whoever ended it) and 'closed'. After 'closed' every method rejects.
import type { Participant } from './participant.ts';

/** Why a leg ended and who ended it. */
export interface HangupInfo {
  /** 'remote' = the peer hung up / rejected; 'local' = we did (an operation); 'system' = timeout, error, shutdown. */
  by: 'remote' | 'local' | 'system';
  /** Short reason: 'normal', 'busy', 'no-answer', 'rejected', 'cancelled', 'error', 'transferred' … */
  reason: string;
  /** Final SIP status when there was one (e.g. 486 for busy, 200 for a normal BYE-ended call). */
  sipStatus?: number;
}

/** How to refuse a call: mapped by the adapter onto SIP (busy 486, forbidden 403, none 480 / decline 603, unavailable 503). */
export type RejectReason = 'busy' | 'forbidden' | 'none' | 'decline' | 'no-answer' | 'unavailable';

/** What a REFER to this channel's peer came to. */
export interface ReferOutcome {
  accepted: boolean;
  /** SIP status of the REFER or of the final NOTIFY sipfrag, when known. */
  sipStatus?: number;
  /**
   * Where it ended, when known: 'refer' = the REFER itself was refused (the peer does not take
   * transfers: 405, 501, 603 …), 'notify' = the peer tried and reported the outcome in a NOTIFY
   * (RFC 3515 §2.4.5). Absent on a timeout or when the channel ended meanwhile.
   */
  stage?: 'refer' | 'notify';
}

/** Events of a Channel; every one carries only plain data. */
export interface ChannelEvents {
  /** The outbound leg is ringing at the far end (180/183). */
  ringing: [{ early: boolean }];
  /** The outbound leg was answered (2xx), or an inbound answer completed (ACK). */
  answered: [{ sdp?: string }];
  /** A digit signalled in SIP INFO (RFC 6086, application/dtmf-relay). */
  dtmf: [{ digit: string; durationMs?: number }];
  /** The peer sent a new offer in-dialog (re-INVITE / UPDATE), e.g. to hold. */
  offer: [{ sdp: string; hold: boolean }];
  /** The peer asks us to transfer (incoming REFER). */
  refer: [{ target: string }];
  /**
   * Another dialog took this leg's place (an INVITE with Replaces, RFC 3891): the leg goes on
   * with a new peer, `remote`; the old peer was sent BYE. Core's Leg takes `remote` as its
   * participant and the Call journals participant.replaced (src/core/calls/leg.ts, call.ts).
   */
  replaced: [{ remote: Participant }];
  /** The leg ended (emitted once). */
  hangup: [HangupInfo];
  /** The channel released everything; methods now reject. */
  closed: [];
}

/** A minimal typed emitter surface, so fakes and adapters need not be node EventEmitters. */
export interface TypedEmitter<E extends { [K in keyof E]: unknown[] }> {
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): unknown;
  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): unknown;
  once<K extends keyof E>(event: K, listener: (...args: E[K]) => void): unknown;
}

export interface Channel extends TypedEmitter<ChannelEvents> {
  /** Stable id (the adapter's; e.g. derived from the SIP Call-ID). */
  readonly id: string;
  /** Who is at the other end. */
  readonly remote: Participant;
  /** Who was called / who calls, as seen on this leg. */
  readonly local: Participant;
  readonly direction: 'inbound' | 'outbound';
  readonly closed: boolean;
  /** Sends 180 Ringing (inbound, before answer). */
  ring(): Promise<void>;
  /** Inbound: sends 200 OK (with `sdp` or the adapter's own answer) and waits for the ACK. */
  answer(sdp?: string): Promise<void>;
  /** Inbound, before answer: refuses the call. */
  reject(reason: RejectReason): Promise<void>;
  /** Inbound, before answer: 302 Moved Temporarily with these contacts (SIP URIs or tel:). */
  redirect(targets: readonly string[]): Promise<void>;
  /** Ends the leg (BYE after answer, CANCEL before). Resolves once 'hangup' was emitted. */
  hangup(reason?: string): Promise<void>;
  /** Asks the peer to call `target` instead (REFER, RFC 3515); resolves with the NOTIFY outcome. */
  refer(target: string): Promise<ReferOutcome>;
  /**
   * Consultative transfer (RFC 5589 §7, RFC 3891): a target that, given to ANOTHER channel's
   * refer(), makes that channel's peer call this leg's peer and take this leg's place (for SIP:
   * the peer's Contact URI with an escaped `?Replaces=<Call-ID>;to-tag=…;from-tag=…` header).
   * Undefined while the leg has no confirmed dialog. Optional: a channel without it (fakes,
   * WebRTC) cannot be replaced, and core falls back to bridging.
   */
  replacesTarget?(): string | undefined;
  /** Puts the peer on hold (re-INVITE a=sendonly, RFC 3264 §8.4). */
  hold(): Promise<void>;
  unhold(): Promise<void>;
  /** Sends SIP INFO with this content type and body. */
  sendInfo(contentType: string, body: string): Promise<void>;
}

/** Options of an outbound leg. */
export interface DialOptions {
  /** Caller ID shown to the callee (E.164 or SIP URI); default the adapter's (trunk rules). */
  callerId?: Participant;
  /** Give up (CANCEL) after this long without an answer; default 60000 ms (the ChannelFactory's). */
  ringTimeoutMs?: number;
  /** Trunk to use for phone numbers; default the adapter's choice. */
  trunkId?: string;
  /** Extra headers the application asked for (X- headers only; the adapter filters). */
  headers?: Record<string, string>;
  /**
   * Put the new leg's media beside this endpoint (same media worker), so the two can be bridged
   * or mixed; default the adapter's choice (least-loaded worker). Core passes the call's first
   * leg for every leg it adds to a call.
   */
  near?: import('./media-endpoint.ts').MediaEndpoint;
}

/** A new outbound leg: its signaling already under way (INVITE sent), and its media. */
export interface DialedLeg {
  channel: Channel;
  media: import('./media-endpoint.ts').MediaEndpoint;
}

/**
 * Creates outbound legs: a phone number through a trunk, a SIP URI, a registered user.
 * The returned channel emits 'ringing', then 'answered' or 'hangup' (no answer, busy …).
 */
export interface ChannelFactory {
  dial(target: Participant, opts: DialOptions): Promise<DialedLeg>;
}
