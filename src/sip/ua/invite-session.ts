// What an INVITE session does once a dialog exists, whichever side created it: in-dialog
// requests both ways (BYE, re-INVITE, UPDATE, INFO, REFER/NOTIFY, OPTIONS), the 2xx-until-ACK
// retransmission for INVITEs we answer, and session timers (RFC 4028). IncomingSession and
// OutgoingSession add the dialog-creating half. SDP is opaque bytes here: offer/answer
// semantics belong to the caller (src/sdp).
import { EventEmitter } from 'node:events';
import type { Dialog, InDialogRequestOptions } from '../dialog/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { ServerTransaction } from '../transaction/index.ts';
import type { Destination } from '../transaction/index.ts';
import { ReferSubscription } from './refer-subscription.ts';
import { buildResponse } from './response-builder.ts';
import type { ResponseOptions } from './response-builder.ts';
import { Retransmitter } from './retransmitter.ts';
import type { SessionHost } from './session-host.ts';
import { SessionRequestError } from './session-state.ts';
import type {
  IncomingRefer, InviteSessionEvents, OfferReply, SessionBody, SessionState, TerminationInfo,
} from './session-state.ts';
import { parseSessionExpires, SessionTimer } from './session-timer.ts';

type Headers = Array<[string, string]>;

/** An INVITE we answered with 2xx and whose ACK we still wait for (§13.3.1.4). */
interface PendingAck {
  cseq: number;
  retransmitter: Retransmitter;
  /** Our 2xx carried the offer (offerless INVITE), so the ACK carries the answer. */
  offerInResponse: boolean;
}

export interface ReferOptions {
  /** Replaces header value for attended transfer (RFC 3891): `callid;to-tag=…;from-tag=…`. */
  replaces?: string;
  /** Ask for no implicit subscription (RFC 4488 Refer-Sub: false); default false. */
  noSubscription?: boolean;
}

export abstract class InviteSession extends EventEmitter<InviteSessionEvents> {
  state: SessionState = 'initial';
  /** The (confirmed or early) dialog; undefined until a To tag exists. */
  dialog: Dialog | undefined;
  /** Our current session description. */
  localBody: SessionBody | undefined;
  /** The peer's current session description. */
  remoteBody: SessionBody | undefined;
  /** How the session ended; set once terminated. */
  termination: TerminationInfo | undefined;
  /** Methods the peer said it allows (upper case), from its INVITE/2xx. */
  protected peerAllow: string[] = [];
  /** Option tags the peer supports (lower case). */
  protected peerSupported: string[] = [];
  /** Stream flow for in-dialog requests (the connection the peer used); undefined on UDP. */
  protected flow: Destination | undefined;
  protected readonly sessionTimer: SessionTimer;
  private inviteOut = false;
  private pendingInviteIn: { cseq: number; answered: boolean } | undefined;
  private pendingAck: PendingAck | undefined;
  /** The last ACK we sent, re-sent when its 2xx is retransmitted (§13.2.2.4). */
  protected lastAck: { cseq: number; ack: SipRequest; dest: Destination } | undefined;

  protected constructor(protected readonly host: SessionHost) {
    super();
    this.sessionTimer = new SessionTimer(host.clock, () => this.refreshSession(), () => this.expireSession());
  }

  // ── state ──────────────────────────────────────────────────────────

  protected setState(next: SessionState): void {
    if (this.state === 'terminated') return;
    this.state = next;
  }

  /** The single place a session ends: stops every timer, forgets the dialog, emits once. */
  protected terminate(info: TerminationInfo): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.termination = info;
    this.sessionTimer.stop();
    this.pendingAck?.retransmitter.stop();
    this.pendingAck = undefined;
    this.onTerminate();
    if (this.dialog) {
      this.dialog.terminate();
      this.host.unregisterDialog(this.dialog);
    }
    this.host.logger.debug({ callId: this.dialog?.id.callId, ...info }, 'session terminated');
    this.emit('terminated', info);
  }

  /** Subclasses release their own timers here. */
  protected onTerminate(): void {}

  protected requireDialog(): Dialog {
    if (!this.dialog || this.state === 'terminated') throw new SessionRequestError(`no dialog (state ${this.state})`);
    return this.dialog;
  }

  protected capabilityHeaders(): Headers {
    return [
      ['allow', this.host.config.allow.join(', ')],
      ['supported', this.host.config.supported.join(', ')],
    ];
  }

  protected learnPeer(msg: SipRequest | SipResponse): void {
    const allow = msg.tokens('allow');
    if (allow.length) this.peerAllow = allow.map((m) => m.toUpperCase());
    const sup = msg.tokens('supported');
    if (sup.length) this.peerSupported = sup;
  }

  protected peerSupports(tag: string): boolean {
    return this.peerSupported.includes(tag);
  }

  // ── responses ──────────────────────────────────────────────────────

  protected reply(stx: ServerTransaction, status: number, reason?: string, opts: ResponseOptions = {}): SipResponse {
    const headers: ReadonlyArray<readonly [string, string]> = [['server', this.host.config.userAgentName], ...(opts.headers ?? [])];
    const res = buildResponse(stx.request, status, reason, { toTag: this.dialog?.id.localTag, ...opts, headers });
    stx.respond(res);
    return res;
  }

  /**
   * Answer an INVITE (initial or re-INVITE) with 2xx and retransmit it until the ACK
   * (RFC 3261 §13.3.1.4): T1, doubling to T2, for 64·T1; then BYE.
   */
  protected send2xx(stx: ServerTransaction, body: SessionBody | undefined, extra: Headers, offerInResponse: boolean): SipResponse {
    const dialog = this.requireDialog();
    const res = this.reply(stx, 200, undefined, {
      recordRoute: true,
      headers: [['contact', dialog.localContact], ...this.capabilityHeaders(), ...extra],
      body: body?.body,
      contentType: body?.contentType,
    });
    const t = this.host.timers;
    this.pendingAck?.retransmitter.stop();
    this.pendingAck = {
      cseq: stx.request.cseq?.seq ?? 0,
      offerInResponse,
      retransmitter: new Retransmitter({
        clock: this.host.clock, t1: t.t1, cap: t.t2, giveUpAfter: 64 * t.t1,
        send: () => this.host.retransmitResponse(stx, res),
        onGiveUp: () => this.onNoAck(),
      }),
    };
    return res;
  }

  /** §13.3.1.4: no ACK within 64·T1 — the dialog is confirmed but the session ends with BYE. */
  protected onNoAck(): void {
    this.pendingAck = undefined;
    this.emit('failed', 'no ACK for 2xx');
    this.sendBye({ by: 'timeout', reason: 'no-ack' });
  }

  // ── requests from the peer inside the dialog ───────────────────────

  /** A request the UA routed to this dialog after the §12.2.2 CSeq check. */
  handleRequest(req: SipRequest, stx: ServerTransaction): void {
    switch (req.method) {
      case 'BYE': return this.onBye(req, stx);
      case 'INVITE': return this.onReinvite(req, stx);
      case 'UPDATE': return this.onUpdate(req, stx);
      case 'INFO': return this.onInfo(req, stx);
      case 'REFER': return this.onRefer(req, stx);
      case 'NOTIFY': return this.onNotify(req, stx);
      case 'PRACK': return this.onPrack(req, stx);
      case 'OPTIONS':
        this.reply(stx, 200, undefined, { headers: [...this.capabilityHeaders(), ['accept', 'application/sdp']] });
        return;
      default:
        this.reply(stx, 405, undefined, { headers: [['allow', this.host.config.allow.join(', ')]] });
    }
  }

  /** An ACK for a 2xx of ours, matched to this dialog. Returns true when it was expected. */
  handleAck(req: SipRequest): boolean {
    const p = this.pendingAck;
    if (!p || req.cseq?.seq !== p.cseq) return false;
    p.retransmitter.stop();
    this.pendingAck = undefined;
    this.pendingInviteIn = undefined;
    if (p.offerInResponse && req.body.length > 0) {
      this.remoteBody = { body: req.body, contentType: req.contentType ?? 'application/sdp' };
    }
    return true;
  }

  protected onBye(req: SipRequest, stx: ServerTransaction): void {
    this.reply(stx, 200);
    this.emit('bye', req);
    this.terminate({ by: 'remote', reason: 'bye' });
  }

  /** RFC 3262 §3: PRACK for nothing we sent. IncomingSession overrides this. */
  protected onPrack(_req: SipRequest, stx: ServerTransaction): void {
    this.reply(stx, 481, 'No Matching Reliable Provisional Response');
  }

  /** §14.2: glare and overlap rules, then the offer goes to the application. */
  protected onReinvite(req: SipRequest, stx: ServerTransaction): void {
    if (this.inviteOut) return void this.reply(stx, 491);
    if (this.pendingInviteIn || this.pendingAck || this.state !== 'established') {
      return void this.reply(stx, 500, 'Previous INVITE Pending', {
        headers: [['retry-after', String(Math.floor(Math.random() * 10))]],
      });
    }
    const dialog = this.requireDialog();
    dialog.refreshTarget(req, 'INVITE');
    this.learnPeer(req);
    this.pendingInviteIn = { cseq: req.cseq?.seq ?? 0, answered: false };
    const timerHeaders = this.negotiateTimerAsUas(req);
    if (req.body.length === 0) {
      // Offerless re-INVITE: our 2xx carries the offer (the current SDP), the ACK the answer.
      this.send2xx(stx, this.localBody, timerHeaders, true);
      this.startNegotiatedTimer(req);
      return;
    }
    this.dispatchOffer(req, (answer) => {
      this.send2xx(stx, answer, timerHeaders, false);
      this.startNegotiatedTimer(req);
    }, (status, reason) => {
      this.pendingInviteIn = undefined;
      this.reply(stx, status, reason);
    });
  }

  /** RFC 3311: UPDATE with an offer (early or confirmed dialog), or a bare session refresh. */
  protected onUpdate(req: SipRequest, stx: ServerTransaction): void {
    if (this.inviteOut && req.body.length > 0) return void this.reply(stx, 491);
    this.requireDialog().refreshTarget(req, 'UPDATE');
    this.learnPeer(req);
    const timerHeaders = this.negotiateTimerAsUas(req);
    const ok = (answer: SessionBody | undefined): void => {
      this.reply(stx, 200, undefined, {
        headers: [['contact', this.requireDialog().localContact], ...this.capabilityHeaders(), ...timerHeaders],
        body: answer?.body, contentType: answer?.contentType,
      });
      this.startNegotiatedTimer(req);
    };
    if (req.body.length === 0) return ok(undefined);
    this.dispatchOffer(req, ok, (status, reason) => this.reply(stx, status, reason));
  }

  /** Hand an offer to the application, or re-send our current SDP when nobody listens. */
  private dispatchOffer(
    req: SipRequest,
    accept: (answer: SessionBody) => void,
    reject: (status: number, reason?: string) => void,
  ): void {
    const offer: SessionBody = { body: req.body, contentType: req.contentType ?? 'application/sdp' };
    let done = false;
    const reply: OfferReply = {
      accept: (body, contentType = 'application/sdp') => {
        if (done || this.state === 'terminated') return;
        done = true;
        this.remoteBody = offer;
        this.localBody = { body: typeof body === 'string' ? Buffer.from(body) : body, contentType };
        accept(this.localBody);
      },
      reject: (status = 488, reason) => {
        if (done || this.state === 'terminated') return;
        done = true;
        reject(status, reason);
      },
    };
    if (this.listenerCount('offer') === 0) {
      if (this.localBody) reply.accept(this.localBody.body, this.localBody.contentType);
      else reply.reject(488);
      return;
    }
    this.emit('offer', offer, reply);
  }

  protected onInfo(req: SipRequest, stx: ServerTransaction): void {
    this.reply(stx, 200);
    this.emit('info', { contentType: req.contentType, body: req.body, request: req });
  }

  /** RFC 3515 §2.4.2 and RFC 4488: accept → 202 (+ NOTIFYs unless Refer-Sub: false). */
  protected onRefer(req: SipRequest, stx: ServerTransaction): void {
    const referTo = req.getAll('refer-to');
    if (referTo.length !== 1) return void this.reply(stx, 400, 'Exactly One Refer-To Required');
    if (this.listenerCount('refer') === 0) return void this.reply(stx, 603, 'Decline');
    const noSubscription = (req.get('refer-sub') ?? '').trim().toLowerCase() === 'false';
    let done = false;
    const refer: IncomingRefer = {
      request: req,
      referTo: referTo[0],
      referredBy: req.get('referred-by'),
      noSubscription,
      accept: () => {
        if (done) return undefined;
        done = true;
        if (noSubscription) {
          this.reply(stx, 202, undefined, { headers: [['refer-sub', 'false']] });
          return undefined;
        }
        this.reply(stx, 202);
        const sub = new ReferSubscription(`refer;id=${req.cseq?.seq ?? 0}`, (headers, body, contentType) =>
          this.sendRequestInDialog('NOTIFY', { headers, body, contentType }).catch((err: unknown) => {
            this.host.logger.debug({ err }, 'refer NOTIFY failed');
          }));
        void sub.notify(100, 'Trying');
        return sub;
      },
      reject: (status = 603, reason) => {
        if (done) return;
        done = true;
        this.reply(stx, status, reason);
      },
    };
    this.emit('refer', refer);
  }

  /** NOTIFY for a REFER we sent (RFC 3515 §2.4.5); other event packages get 489 (RFC 6665). */
  protected onNotify(req: SipRequest, stx: ServerTransaction): void {
    const event = (req.get('event') ?? '').trim().toLowerCase();
    if (!event.startsWith('refer')) return void this.reply(stx, 489, 'Bad Event');
    this.reply(stx, 200);
    const m = /^SIP\/2\.0\s+(\d{3})/.exec(req.body.toString('utf8'));
    const state = (req.get('subscription-state') ?? '').trim().toLowerCase();
    this.emit('referNotify', { status: m ? Number(m[1]) : undefined, terminated: state.startsWith('terminated'), request: req });
  }

  // ── requests we send inside the dialog ─────────────────────────────

  /**
   * Send a non-INVITE request in the dialog; resolves with the 2xx, rejects on anything else.
   * §12.2.1.2: 481 and 408 (or no answer) end the dialog.
   */
  protected sendRequestInDialog(method: string, opts: InDialogRequestOptions = {}): Promise<SipResponse> {
    let dialog: Dialog;
    try {
      dialog = this.requireDialog();
    } catch (err) {
      return Promise.reject(err);
    }
    const req = dialog.createRequest(method, {
      ...opts,
      headers: [['user-agent', this.host.config.userAgentName], ...(opts.headers ?? [])],
    });
    const dest = this.host.destinationFor(dialog, this.flow);
    return new Promise<SipResponse>((resolve, reject) => {
      this.host.sendRequest(req, dest, {
        onResponse: (res) => {
          if (res.status < 200) return;
          if (res.status < 300) return resolve(res);
          if ((res.status === 481 || res.status === 408) && method !== 'BYE') {
            this.terminate({ by: 'remote', reason: 'dialog-gone', status: res.status });
          }
          reject(new SessionRequestError(`${method} rejected: ${res.status} ${res.reason}`, res));
        },
        onTimeout: () => {
          if (method !== 'BYE') this.terminate({ by: 'timeout', reason: 'request-timeout' });
          reject(new SessionRequestError(`${method} timed out`));
        },
        onTransportError: (err) => {
          if (method !== 'BYE') this.terminate({ by: 'local', reason: 'transport-error' });
          reject(new SessionRequestError(`${method} transport error: ${err.message}`));
        },
      });
    });
  }

  /** Hang up an established session (BYE, §15.1.1). Resolves once the BYE is answered. */
  bye(): Promise<void> {
    if (this.state === 'terminated' || this.state === 'terminating') return Promise.resolve();
    return this.sendBye({ by: 'local', reason: 'bye' });
  }

  protected sendBye(info: TerminationInfo): Promise<void> {
    if (this.state === 'terminated' || !this.dialog) {
      this.terminate(info);
      return Promise.resolve();
    }
    this.setState('terminating');
    this.sessionTimer.stop();
    return this.sendRequestInDialog('BYE').then(
      () => this.terminate(info),
      () => this.terminate(info),
    );
  }

  /**
   * Send a re-INVITE with a new offer (hold, resume, codec change); resolves with the 2xx once
   * ACKed. 491 (glare, §14.1) rejects with SessionRequestError: retry after a random delay.
   */
  reinvite(body: Buffer | string, contentType = 'application/sdp', headers: Headers = []): Promise<SipResponse> {
    return this.sendReinvite({ body: typeof body === 'string' ? Buffer.from(body) : body, contentType }, headers);
  }

  protected sendReinvite(offer: SessionBody, extra: Headers): Promise<SipResponse> {
    if (this.state !== 'established') return Promise.reject(new SessionRequestError(`cannot re-INVITE in state ${this.state}`));
    if (this.inviteOut || this.pendingInviteIn) return Promise.reject(new SessionRequestError('an INVITE is already in progress'));
    const dialog = this.requireDialog();
    const req = dialog.createRequest('INVITE', {
      body: offer.body,
      contentType: offer.contentType,
      headers: [['user-agent', this.host.config.userAgentName], ...this.capabilityHeaders(), ...this.timerRequestHeaders(), ...extra],
    });
    const dest = this.host.destinationFor(dialog, this.flow);
    const cseq = req.cseq?.seq ?? 0;
    this.inviteOut = true;
    return new Promise<SipResponse>((resolve, reject) => {
      this.host.sendRequest(req, dest, {
        onResponse: (res) => {
          if (res.status < 200) return;
          if (res.status < 300) {
            if (this.lastAck?.cseq === cseq) return this.host.sendStateless(this.lastAck.ack, this.lastAck.dest);
            this.inviteOut = false;
            const ack = dialog.createRequest('ACK', { cseq, headers: [['user-agent', this.host.config.userAgentName]] });
            this.lastAck = { cseq, ack, dest };
            this.host.sendStateless(ack, dest);
            dialog.refreshTarget(res, 'INVITE');
            this.learnPeer(res);
            this.localBody = offer;
            if (res.body.length > 0) this.remoteBody = { body: res.body, contentType: res.contentType ?? 'application/sdp' };
            this.applyTimerAsUac(res);
            return resolve(res);
          }
          this.inviteOut = false;
          if (res.status === 481 || res.status === 408) this.terminate({ by: 'remote', reason: 'dialog-gone', status: res.status });
          reject(new SessionRequestError(`re-INVITE rejected: ${res.status} ${res.reason}`, res));
        },
        onTimeout: () => {
          this.inviteOut = false;
          reject(new SessionRequestError('re-INVITE timed out'));
          void this.sendBye({ by: 'timeout', reason: 'request-timeout' });
        },
        onTransportError: (err) => {
          this.inviteOut = false;
          reject(new SessionRequestError(`re-INVITE transport error: ${err.message}`));
        },
      });
    });
  }

  /** RFC 3311 UPDATE: a new offer without a re-INVITE, or (no body) a session refresh. */
  update(body?: Buffer | string, contentType = 'application/sdp'): Promise<SipResponse> {
    const offer = body === undefined ? undefined : { body: typeof body === 'string' ? Buffer.from(body) : body, contentType };
    return this.sendRequestInDialog('UPDATE', {
      body: offer?.body, contentType: offer?.contentType,
      headers: [...this.capabilityHeaders(), ...this.timerRequestHeaders()],
    }).then((res) => {
      if (offer) {
        this.localBody = offer;
        if (res.body.length > 0) this.remoteBody = { body: res.body, contentType: res.contentType ?? 'application/sdp' };
      }
      this.dialog?.refreshTarget(res, 'UPDATE');
      this.applyTimerAsUac(res);
      return res;
    });
  }

  /** INFO (RFC 6086; legacy "dtmf-relay" bodies included). */
  sendInfo(contentType: string, body: Buffer | string): Promise<SipResponse> {
    return this.sendRequestInDialog('INFO', { contentType, body });
  }

  /** REFER (RFC 3515) the peer to `target`; progress arrives as 'referNotify' events. */
  refer(target: string, opts: ReferOptions = {}): Promise<SipResponse> {
    const uri = target.startsWith('<') ? target.slice(1, -1) : target;
    const referTo = opts.replaces ? `<${uri}?Replaces=${encodeURIComponent(opts.replaces)}>` : `<${uri}>`;
    const headers: Headers = [['refer-to', referTo], ['referred-by', `<${this.requireDialog().localUri}>`]];
    if (opts.noSubscription) headers.push(['refer-sub', 'false'], ['supported', 'norefersub']);
    return this.sendRequestInDialog('REFER', { headers });
  }

  // ── session timers (RFC 4028) ──────────────────────────────────────

  /** Headers for a request we send: ask for the current interval, and to stay refresher (§7.1). */
  protected timerRequestHeaders(): Headers {
    const cfg = this.host.config.sessionTimer;
    if (!cfg.enabled) return [];
    if (this.sessionTimer.interval > 0) {
      return [['session-expires', `${this.sessionTimer.interval};refresher=uac`], ['min-se', String(cfg.minSE)]];
    }
    return [['session-expires', String(cfg.expires)], ['min-se', String(cfg.minSE)]];
  }

  /**
   * RFC 4028 §9: the UAS picks the interval and the refresher for a request it answers, and
   * says so in the 2xx. Returns the headers for the 2xx ([] when no timer applies).
   */
  protected negotiateTimerAsUas(req: SipRequest): Headers {
    const cfg = this.host.config.sessionTimer;
    if (!cfg.enabled) return [];
    const se = parseSessionExpires(req);
    const peerTimer = req.tokens('supported').includes('timer') || req.tokens('require').includes('timer');
    let interval: number;
    let refresher: 'uac' | 'uas';
    if (se) {
      interval = se.interval;
      refresher = se.refresher ?? (peerTimer ? 'uac' : 'uas');
    } else if (peerTimer || this.sessionTimer.interval > 0) {
      interval = this.sessionTimer.interval || cfg.expires;
      refresher = 'uas';
    } else return [];
    this.negotiated = { interval, weRefresh: refresher === 'uas' };
    const headers: Headers = [['session-expires', `${interval};refresher=${refresher}`]];
    if (peerTimer) headers.push(['require', 'timer']);
    return headers;
  }

  private negotiated: { interval: number; weRefresh: boolean } | undefined;

  /** Start the timer negotiated by negotiateTimerAsUas once our 2xx is out. */
  protected startNegotiatedTimer(_req: SipRequest): void {
    if (!this.negotiated) return;
    this.sessionTimer.start(this.negotiated.interval, this.negotiated.weRefresh);
    this.negotiated = undefined;
  }

  /** RFC 4028 §7.2: a 2xx to our INVITE/UPDATE says who refreshes; none at all means we do. */
  protected applyTimerAsUac(res: SipResponse): void {
    const cfg = this.host.config.sessionTimer;
    if (!cfg.enabled) return;
    const se = parseSessionExpires(res);
    if (se) this.sessionTimer.start(se.interval, (se.refresher ?? 'uac') === 'uac');
    else if (this.sessionTimer.interval > 0 || res.cseq?.method === 'INVITE') {
      // §7.2: the UAS does not do timers; the UAC may still refresh on its own.
      this.sessionTimer.start(this.sessionTimer.interval || cfg.expires, true);
    }
  }

  /** We are the refresher and half the interval passed (§10): UPDATE if allowed, else re-INVITE. */
  private refreshSession(): void {
    if (this.state !== 'established') return;
    const useUpdate = this.peerAllow.includes('UPDATE');
    const done = useUpdate
      ? this.update()
      : this.localBody
        ? this.sendReinvite(this.localBody, [])
        : Promise.reject(new SessionRequestError('no SDP to refresh with'));
    done.catch((err: unknown) => {
      if (this.state === 'terminated') return;
      this.host.logger.debug({ err }, 'session refresh failed');
      // §10: a failed refresh means the session cannot be kept alive; end it cleanly.
      void this.sendBye({ by: 'timeout', reason: 'session-expired' });
    });
  }

  /** No refresh came before the expiry (§10): BYE. */
  private expireSession(): void {
    if (this.state !== 'established') return;
    void this.sendBye({ by: 'timeout', reason: 'session-expired' });
  }
}
