// SipChannel: core's Channel port over one SIP INVITE session (src/sip IncomingSession or
// OutgoingSession). It turns core's verbs into SIP (answer → 200 with our SDP, reject →
// 486/403/480/603, redirect → 302, hangup → BYE or CANCEL, refer → REFER, hold → re-INVITE
// sendonly) and SIP back into core's events (ringing, answered, INFO digits, re-offers, REFER,
// hangup). SDP is negotiated here with the leg's SdpMedia, so the media endpoint always follows
// what was agreed.
//
// It never carries media and never closes the endpoint: the Leg that holds both does that.
//
// Close cascade: when the SIP session terminates (whoever ended it) the channel emits 'hangup'
// once, then 'closed'; afterwards every method rejects with ChannelClosedError.
import { EventEmitter } from 'node:events';
import type { Channel, ChannelEvents, HangupInfo, Participant, ReferOutcome, RejectReason } from '../core/index.ts';
import type { Clock, Logger } from '../lib/index.ts';
import type { IncomingSession, InviteSession, OutgoingSession, ReferNotify, TerminationInfo } from '../sip/index.ts';
import { parseDtmfRelay } from './dtmf-relay.ts';
import { callerParticipant } from './inbound-router.ts';
import type { SdpMedia } from './sdp-media.ts';

/** RFC 3261 §21: how core's reject reasons go on the wire. */
export const REJECT_STATUS: Record<RejectReason, number> = { busy: 486, forbidden: 403, none: 480, decline: 603, 'no-answer': 480, unavailable: 503 };

/** How long refer() waits for the final NOTIFY after the 202; default of SipChannelOptions.referTimeoutMs. */
const REFER_TIMEOUT_MS = 32_000;

export class ChannelClosedError extends Error {
  readonly code = 'CHANNEL_CLOSED';
  constructor() {
    super('channel is closed');
  }
}

export interface SipChannelOptions {
  id: string;
  remote: Participant;
  local: Participant;
  media: SdpMedia;
  clock: Clock;
  logger: Logger;
  /** Give up on a REFER's outcome after this long (accepted: false); default 32000 ms. */
  referTimeoutMs?: number;
}

/** Why a session ended, in core's words; `localReason` is what our own hangup() was asked to say. */
export function hangupInfo(t: TerminationInfo, localReason: string | undefined): HangupInfo {
  const sipStatus = t.status ?? (t.reason === 'bye' ? 200 : undefined);
  const by: HangupInfo['by'] = t.by === 'timeout' ? 'system' : t.by;
  let reason: string;
  switch (t.reason) {
    case 'bye': reason = 'normal'; break;
    case 'cancelled': reason = 'cancelled'; break;
    case 'no-answer': reason = 'no-answer'; break;
    case 'redirected': reason = 'redirected'; break;
    case 'rejected':
      reason = t.status === 486 || t.status === 600 ? 'busy'
        : t.status === 603 ? 'declined'
          : t.status === 480 || t.status === 408 ? 'no-answer'
            : t.status === 404 || t.status === 604 ? 'not-found' : 'rejected';
      break;
    case 'session-expired': reason = 'session-expired'; break;
    default: reason = 'error';
  }
  if (by === 'local' && localReason !== undefined) reason = localReason;
  return { by, reason, ...(sipStatus !== undefined ? { sipStatus } : {}) };
}

export class SipChannel extends EventEmitter<ChannelEvents> implements Channel {
  readonly id: string;
  /** Who is at the other end; changes when another dialog replaces this one (RFC 3891). */
  remote: Participant;
  readonly local: Participant;
  readonly direction: 'inbound' | 'outbound';
  private readonly media: SdpMedia;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly referTimeoutMs: number;
  private ended = false;
  private isClosed = false;
  private localReason: string | undefined;
  private readonly hungUp: Promise<void>;
  private current: IncomingSession | OutgoingSession;
  /** A replacing INVITE is being answered (a second one gets 491). */
  private replacing = false;

  constructor(session: IncomingSession | OutgoingSession, direction: 'inbound' | 'outbound', o: SipChannelOptions) {
    super();
    this.current = session;
    this.id = o.id;
    this.remote = o.remote;
    this.local = o.local;
    this.direction = direction;
    this.media = o.media;
    this.clock = o.clock;
    this.logger = o.logger;
    this.referTimeoutMs = o.referTimeoutMs ?? REFER_TIMEOUT_MS;
    this.hungUp = new Promise((resolve) => this.once('hangup', () => resolve()));
    this.attach(session);
    if (direction === 'outbound') {
      const out = session as OutgoingSession;
      out.on('progress', (res) => {
        if (res.status === 180 || res.status === 183) this.emit('ringing', { early: res.body.length > 0 });
        if (res.body.length > 0) void this.media.applyAnswer(res.body);
      });
      out.on('accepted', (res) => {
        const sdp = res.body.length > 0 ? res.body.toString('utf8') : undefined;
        void (sdp ? this.media.applyAnswer(sdp) : Promise.resolve(true)).then((ok) => {
          if (!ok) this.logger.warn({ channel: this.id }, 'unusable SDP answer: latching to the first RTP source');
          if (!this.ended) this.emit('answered', sdp !== undefined ? { sdp } : {});
        });
      });
    }
  }

  /** The SIP session this leg is now: the original one, or the one that replaced it (RFC 3891). */
  get session(): IncomingSession | OutgoingSession {
    return this.current;
  }

  /**
   * In-dialog events of `s`. Every handler first checks that `s` is still this leg's session:
   * after a replacement (RFC 3891) the old dialog's BYE and stray requests must not end or
   * steer the leg.
   */
  private attach(s: InviteSession): void {
    const mine = (): boolean => s === (this.current as InviteSession);
    s.once('terminated', (t) => { if (mine()) this.end(hangupInfo(t, this.localReason)); });
    s.on('info', (info) => {
      if (!mine()) return;
      // RFC 6086 INFO with the de-facto dtmf-relay body (or application/dtmf: a bare digit).
      const ct = (info.contentType ?? '').toLowerCase();
      const text = info.body.toString('utf8');
      const d = ct.includes('dtmf-relay') ? parseDtmfRelay(text)
        : ct.startsWith('application/dtmf') && /^\s*[0-9*#A-D]\s*$/i.test(text) ? { digit: text.trim().toUpperCase(), durationMs: 0 } : undefined;
      if (d) this.emit('dtmf', { digit: d.digit, ...(d.durationMs ? { durationMs: d.durationMs } : {}) });
    });
    s.on('offer', (offer, reply) => {
      if (!mine()) return void reply.reject(491, 'Request Pending');
      void this.media.answer(offer.body).then((v) => {
        if ('sdp' in v) {
          reply.accept(v.sdp);
          this.emit('offer', { sdp: offer.body.toString('utf8'), hold: v.media.remoteHold });
        } else reply.reject(v.status, v.reason);
      }, (err: unknown) => {
        this.logger.warn({ err, channel: this.id }, 're-offer could not be applied');
        reply.reject(500, 'Media Update Failed');
      });
    });
    s.on('refer', (refer) => {
      // Core has no verb for a peer-initiated transfer yet: report it, then decline (RFC 3515 §2.4.2).
      if (mine()) this.emit('refer', { target: refer.referTo.replace(/^\s*<([^>]*)>.*$/, '$1') });
      refer.reject(603, 'Decline');
    });
    s.on('replaced', (next) => { void this.takeOver(s, next); });
  }

  /**
   * RFC 3891 §3: `next` (a new INVITE, already authenticated like any INVITE) takes the place
   * of this leg's dialog `old`. We answer it from the same media endpoint (RTP now flows to the
   * new peer), swap sessions once its ACK arrives, then BYE the old dialog. Core keeps the
   * same leg — same call, bridge and running media operations — and hears 'replaced'.
   * If the new dialog fails before its ACK, the media is pointed back at the old peer by a
   * re-INVITE and the leg goes on as before.
   */
  private async takeOver(old: InviteSession, next: IncomingSession): Promise<void> {
    if (this.ended || this.replacing || old !== (this.current as InviteSession)) return void next.reject(this.replacing ? 491 : 481);
    this.replacing = true;
    try {
      let body: string;
      if (next.offer && next.offer.body.length > 0) {
        const v = await this.media.answer(next.offer.body);
        if (!('sdp' in v)) return void next.reject(v.status, v.reason);
        if (this.ended) return void next.reject(481);
        body = v.sdp;
      } else {
        body = this.media.offer();
        next.once('ack', (ack) => { if (ack.body.length > 0) void this.media.applyAnswer(ack.body); });
      }
      const acked = await new Promise<boolean>((resolve) => {
        next.once('ack', () => resolve(true));
        next.once('terminated', () => resolve(false));
        next.answer({ body, contentType: 'application/sdp' });
      });
      if (this.ended) {
        // The leg ended while the new dialog was being set up: it must not outlive the leg.
        if (acked) await next.bye().catch(() => {});
        return;
      }
      if (!acked) {
        this.logger.warn({ channel: this.id }, 'the replacing dialog failed before its ACK: media back to the old peer');
        await this.reinvite(false).catch((err: unknown) => this.logger.warn({ err, channel: this.id }, 'could not restore media to the old peer'));
        return;
      }
      this.current = next;
      this.attach(next);
      this.remote = callerParticipant(next.request);
      this.emit('replaced', { remote: this.remote });
      await old.bye().catch((err: unknown) => this.logger.debug({ err, channel: this.id }, 'BYE to the replaced dialog failed'));
    } finally {
      this.replacing = false;
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private end(info: HangupInfo): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('hangup', info);
    this.isClosed = true;
    this.emit('closed');
  }

  private check(): void {
    if (this.isClosed) throw new ChannelClosedError();
  }

  private incoming(what: string): IncomingSession {
    if (this.direction !== 'inbound') throw new Error(`${what} applies to inbound channels only`);
    return this.session as IncomingSession;
  }

  async ring(): Promise<void> {
    this.check();
    const s = this.incoming('ring');
    if (s.state === 'initial' || s.state === 'early') s.progress(180);
  }

  /**
   * RFC 3264: answers the caller's offer with the endpoint's address and codecs (or sends our
   * offer in the 2xx when the INVITE had none, §13.2.1), then resolves on the ACK.
   */
  async answer(sdp?: string): Promise<void> {
    this.check();
    const s = this.incoming('answer');
    let body: string;
    if (sdp !== undefined) body = sdp;
    else if (s.offer && s.offer.body.length > 0) {
      const v = await this.media.answer(s.offer.body);
      if (!('sdp' in v)) {
        this.localReason = 'rejected';
        s.reject(v.status, v.reason);
        throw new Error(`offer not acceptable: ${v.reason}`);
      }
      body = v.sdp;
    } else {
      body = this.media.offer();
      s.once('ack', (ack) => {
        if (ack.body.length > 0) void this.media.applyAnswer(ack.body);
      });
    }
    this.check();
    const acked = new Promise<void>((resolve, reject) => {
      const onAck = (): void => { s.off('terminated', onEnd); resolve(); };
      const onEnd = (): void => { s.off('ack', onAck); reject(new ChannelClosedError()); };
      s.once('ack', onAck);
      s.once('terminated', onEnd);
    });
    s.answer({ body, contentType: 'application/sdp' });
    await acked;
    this.emit('answered', { sdp: body });
  }

  async reject(reason: RejectReason): Promise<void> {
    this.check();
    this.localReason = 'rejected';
    this.incoming('reject').reject(REJECT_STATUS[reason]);
    await this.hungUp;
  }

  async redirect(targets: readonly string[]): Promise<void> {
    this.check();
    if (targets.length === 0) throw new RangeError('redirect needs at least one target');
    this.localReason = 'redirected';
    // RFC 3261 §21.3.3 with a Contact list; tel: targets are valid Contact URIs (RFC 3966).
    this.incoming('redirect').redirect([...targets]);
    await this.hungUp;
  }

  async hangup(reason = 'normal'): Promise<void> {
    if (this.ended) return;
    this.localReason = reason;
    const s = this.session;
    if (this.direction === 'outbound' && (s.state === 'initial' || s.state === 'early')) (s as OutgoingSession).cancel();
    else await s.bye().catch((err: unknown) => this.logger.debug({ err, channel: this.id }, 'BYE failed'));
    await this.hungUp;
  }

  /**
   * RFC 3515: REFER the peer to `target`; accepted when the final NOTIFY sipfrag is 2xx (or the
   * peer said Refer-Sub: false and took it). A peer that refuses the REFER (405, 501, 603 …)
   * gives accepted: false, so core can fall back to bridging.
   */
  async refer(target: string): Promise<ReferOutcome> {
    this.check();
    const s = this.session as InviteSession;
    return new Promise<ReferOutcome>((resolve) => {
      let done = false;
      const finish = (o: ReferOutcome): void => {
        if (done) return;
        done = true;
        timer.cancel();
        s.off('referNotify', onNotify);
        s.off('terminated', onEnd);
        resolve(o);
      };
      const onNotify = (n: ReferNotify): void => {
        if (n.status === undefined || n.status < 200) return;
        finish({ accepted: n.status < 300, sipStatus: n.status, stage: 'notify' });
      };
      const onEnd = (): void => finish({ accepted: false });
      const timer = this.clock.setTimeout(() => finish({ accepted: false }), this.referTimeoutMs);
      s.on('referNotify', onNotify);
      s.once('terminated', onEnd);
      s.refer(target).then((res) => {
        if (res.get('refer-sub')?.trim().toLowerCase() === 'false') finish({ accepted: true, sipStatus: res.status, stage: 'refer' });
      }, (err: { response?: { status: number } }) => finish({ accepted: false, stage: 'refer', ...(err.response ? { sipStatus: err.response.status } : {}) }));
    });
  }

  /**
   * RFC 3891 §5 / RFC 5589 §7: this leg's dialog as a Refer-To target for another leg's peer —
   * our peer's Contact (the dialog's remote target, RFC 3261 §12.1) with a Replaces header
   * naming the dialog from the peer's side: to-tag = the peer's tag (our remote tag), from-tag
   * = ours. The header is escaped into the URI (RFC 3261 §19.1.1: ';' → %3B, '=' → %3D,
   * '@' → %40). Undefined before the dialog is confirmed or after it ended.
   */
  replacesTarget(): string | undefined {
    const d = this.session.dialog;
    if (this.ended || !d || this.session.state !== 'established') return undefined;
    const contact = d.remoteTarget.replace(/^<(.*)>$/, '$1').replace(/\?.*$/, '');
    const replaces = `${d.id.callId};to-tag=${d.id.remoteTag};from-tag=${d.id.localTag}`;
    return `${contact}?Replaces=${encodeURIComponent(replaces)}`;
  }

  private async reinvite(hold: boolean): Promise<void> {
    this.check();
    const res = await this.session.reinvite(this.media.reoffer(hold));
    if (res.body.length > 0) await this.media.applyAnswer(res.body);
  }

  /** RFC 3264 §8.4: re-INVITE with a=sendonly. */
  hold(): Promise<void> {
    return this.reinvite(true);
  }

  unhold(): Promise<void> {
    return this.reinvite(false);
  }

  async sendInfo(contentType: string, body: string): Promise<void> {
    this.check();
    await this.session.sendInfo(contentType, body);
  }
}
