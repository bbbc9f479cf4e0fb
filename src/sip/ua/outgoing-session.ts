// The UAC side of an INVITE session (RFC 3261 §13.2): sends the INVITE, follows early
// dialogs (PRACK for reliable provisionals, RFC 3262 §4), ACKs the 2xx itself (§13.2.2.4,
// re-ACKing retransmissions, RFC 6026), hangs up extra dialogs of a forked call, retries once
// with credentials on 401/407 (§22.2) and once with a larger Session-Expires on 422 (RFC
// 4028 §7.4), and cancels (§9.1) on request or when the no-answer timer runs out.
import { DigestClient } from '../auth/index.ts';
import type { DigestCredentials } from '../auth/index.ts';
import type { TimerHandle } from '../../lib/index.ts';
import { Dialog } from '../dialog/index.ts';
import { SipRequest, SipResponse } from '../message/index.ts';
import type { ClientTransaction, Destination } from '../transaction/index.ts';
import { InviteSession } from './invite-session.ts';
import type { SessionHost } from './session-host.ts';
import { parseMinSE } from './session-timer.ts';
import type { TerminationInfo } from './session-state.ts';

export interface InviteOptions {
  /** Request-URI. */
  uri: string;
  /** Where to send; default resolved from the first Route header, else the Request-URI. */
  dest?: Destination;
  /** From name-addr or URI (no tag); default `<sip:switchboard@{via host}>`. */
  from?: string;
  /** To name-addr or URI; default `<{uri}>`. */
  to?: string;
  /** Extra headers (Route, P-Asserted-Identity, …) in order; default none. */
  headers?: Array<[string, string]>;
  /** Our offer; default none (offerless INVITE is not supported yet: see docs/sip.md). */
  body?: Buffer | string;
  /** Default application/sdp. */
  contentType?: string;
  /** Answer one 401/407 challenge with these; default none (challenge → 'rejected'). */
  credentials?: DigestCredentials;
  /** No-answer timer in ms: CANCEL when no 2xx by then; default none (Timer B only). */
  timeoutMs?: number;
  /** Call-ID to use; default a fresh one. */
  callId?: string;
}

interface EarlyDialog {
  dialog: Dialog;
  /** Last RSeq we PRACKed (RFC 3262 §4). */
  rseq?: number;
}

/** Everything an OutgoingSession needs from the UserAgent at creation. */
export interface OutgoingSetup {
  request: SipRequest;
  dest: Destination;
  contact: string;
  credentials?: DigestCredentials;
  timeoutMs?: number;
}

const AUTH_HEADERS = ['authorization', 'proxy-authorization'] as const;

export class OutgoingSession extends InviteSession {
  /** The INVITE currently in flight (changes on an auth or 422 retry). */
  request: SipRequest;
  readonly dest: Destination;
  private readonly contact: string;
  private readonly credentials: DigestCredentials | undefined;
  private readonly digest = new DigestClient();
  private tx: ClientTransaction | undefined;
  private readonly early = new Map<string, EarlyDialog>();
  private provisionalSeen = false;
  private cancelReason: TerminationInfo | undefined;
  private cancelSent = false;
  private retried = new Set<number>();
  private noAnswer: TimerHandle | undefined;
  private readonly timeoutMs: number | undefined;

  constructor(host: SessionHost, setup: OutgoingSetup) {
    super(host);
    this.request = setup.request;
    this.dest = setup.dest;
    this.contact = setup.contact;
    this.credentials = setup.credentials;
    this.timeoutMs = setup.timeoutMs;
    if (setup.request.body.length > 0) {
      this.localBody = { body: setup.request.body, contentType: setup.request.contentType ?? 'application/sdp' };
    }
    if (setup.dest.connectionId) this.flow = setup.dest;
  }

  get callId(): string {
    return this.request.callId ?? '';
  }

  get localTag(): string {
    return this.request.fromTag ?? '';
  }

  /** Send the INVITE. Called once by the UserAgent after it has indexed the session. */
  start(): void {
    if (this.timeoutMs !== undefined) {
      this.noAnswer = this.host.clock.setTimeout(() => this.cancelWith({ by: 'timeout', reason: 'no-answer' }), this.timeoutMs);
    }
    this.send(this.request);
  }

  private send(req: SipRequest): void {
    this.request = req;
    this.provisionalSeen = false;
    try {
      this.tx = this.host.sendRequest(req, this.dest, {
        onResponse: (res) => this.handleResponse(res),
        onTimeout: () => this.onInviteFailure(408, 'Request Timeout', { by: 'timeout', reason: 'request-timeout' }),
        onTransportError: () => this.onInviteFailure(503, 'Service Unavailable', { by: 'local', reason: 'transport-error' }),
      });
    } catch (err) {
      this.host.logger.warn({ err }, 'INVITE could not be sent');
      queueMicrotask(() => this.onInviteFailure(503, 'Service Unavailable', { by: 'local', reason: 'transport-error' }));
    }
  }

  /** CANCEL the call before it is answered (§9.1); after the answer this is bye(). */
  cancel(): void {
    this.cancelWith({ by: 'local', reason: 'cancelled' });
  }

  private cancelWith(info: TerminationInfo): void {
    if (this.state === 'established' || this.state === 'terminating') {
      void this.bye();
      return;
    }
    if (this.state === 'terminated' || this.cancelReason) return;
    this.cancelReason = info;
    // §9.1: CANCEL only once a provisional response arrived; otherwise when one does.
    if (this.provisionalSeen) this.sendCancel();
  }

  private sendCancel(): void {
    if (this.cancelSent || !this.tx) return;
    this.cancelSent = true;
    this.tx.cancel();
  }

  override bye(): Promise<void> {
    if (this.state === 'initial' || this.state === 'early') {
      this.cancel();
      return Promise.resolve();
    }
    return super.bye();
  }

  // ── responses to the INVITE ────────────────────────────────────────

  /** Every response the INVITE client transaction passes up, plus stray 2xx retransmissions. */
  handleResponse(res: SipResponse): void {
    if (res.cseq?.method !== 'INVITE') return;
    if (res.status < 200) return this.onProvisional(res);
    if (res.status < 300) return this.on2xx(res);
    this.onFinalError(res);
  }

  private onProvisional(res: SipResponse): void {
    if (this.state === 'terminated' || res.cseq?.seq !== this.request.cseq?.seq) return;
    this.provisionalSeen = true;
    if (this.cancelReason) {
      this.sendCancel();
      return;
    }
    if (res.status === 100) return;
    const tag = res.toTag;
    let early: EarlyDialog | undefined;
    if (tag) {
      early = this.early.get(tag);
      if (!early) {
        early = { dialog: Dialog.asUac(this.request, res, this.contact, 'early') };
        this.early.set(tag, early);
        this.host.registerDialog(early.dialog, this);
      }
      this.dialog ??= early.dialog;
    }
    const rseqHeader = res.get('rseq');
    if (early && rseqHeader !== undefined && res.tokens('require').includes('100rel')) {
      const rseq = Number.parseInt(rseqHeader, 10);
      // RFC 3262 §4: a retransmission (RSeq not above the last one) is not PRACKed or reported again.
      if (early.rseq !== undefined && rseq <= early.rseq) return;
      early.rseq = rseq;
      this.sendPrack(early.dialog, rseq);
    }
    this.learnPeer(res);
    if (res.body.length > 0) this.remoteBody = { body: res.body, contentType: res.contentType ?? 'application/sdp' };
    this.setState('early');
    this.emit('progress', res);
  }

  private sendPrack(dialog: Dialog, rseq: number): void {
    const prack = dialog.createRequest('PRACK', {
      headers: [['rack', `${rseq} ${this.request.cseq?.seq ?? 0} INVITE`], ['user-agent', this.host.config.userAgentName]],
    });
    this.copyAuth(prack);
    this.host.sendRequest(prack, this.host.destinationFor(dialog, this.flow), {
      onResponse: (r) => {
        if (r.status >= 300) this.host.logger.debug({ status: r.status }, 'PRACK rejected');
      },
    });
  }

  private copyAuth(req: SipRequest): void {
    for (const h of AUTH_HEADERS) for (const v of this.request.getAll(h)) req.add(h, v);
  }

  /** §13.2.2.4: ACK every 2xx; the first one wins, later dialogs (forks) are ACKed and hung up. */
  private on2xx(res: SipResponse): void {
    const tag = res.toTag;
    if (!tag) {
      this.host.logger.warn('2xx to INVITE without To tag ignored');
      return;
    }
    const cseq = res.cseq?.seq ?? 0;
    if (this.dialog?.id.remoteTag === tag && this.dialog.state === 'confirmed') {
      if (this.lastAck?.cseq === cseq) this.host.sendStateless(this.lastAck.ack, this.lastAck.dest);
      return;
    }
    const extra = this.state === 'established' || this.state === 'terminating' || this.state === 'terminated';
    if (extra) return this.hangUpFork(res);
    this.clearNoAnswer();
    let dialog = this.early.get(tag)?.dialog;
    if (dialog) dialog.confirm(res);
    else {
      dialog = Dialog.asUac(this.request, res, this.contact, 'confirmed');
      this.host.registerDialog(dialog, this);
    }
    for (const [t, e] of this.early) if (t !== tag) this.host.unregisterDialog(e.dialog);
    this.early.clear();
    this.dialog = dialog;
    this.sendAckFor(dialog, cseq);
    this.learnPeer(res);
    if (res.body.length > 0) this.remoteBody = { body: res.body, contentType: res.contentType ?? 'application/sdp' };
    this.setState('established');
    this.applyTimerAsUac(res);
    if (this.cancelReason) {
      // §9.1: the 2xx crossed our CANCEL; the call exists now and must be ended with BYE.
      void this.sendBye(this.cancelReason);
      return;
    }
    this.emit('accepted', res);
  }

  private sendAckFor(dialog: Dialog, cseq: number): SipRequest {
    const ack = dialog.createRequest('ACK', { cseq, headers: [['user-agent', this.host.config.userAgentName]] });
    this.copyAuth(ack);
    const dest = this.host.destinationFor(dialog, this.flow);
    this.host.sendStateless(ack, dest);
    if (dialog === this.dialog) this.lastAck = { cseq, ack, dest };
    return ack;
  }

  /** A second dialog from a forking proxy (§13.2.2.4): ACK it, then BYE it. */
  private hangUpFork(res: SipResponse): void {
    const fork = Dialog.asUac(this.request, res, this.contact, 'confirmed');
    this.sendAckFor(fork, res.cseq?.seq ?? 0);
    const bye = fork.createRequest('BYE', { headers: [['user-agent', this.host.config.userAgentName]] });
    this.host.sendRequest(bye, this.host.destinationFor(fork, this.flow), { onResponse: () => {} });
  }

  private onFinalError(res: SipResponse): void {
    if (this.state === 'terminated' || this.state === 'established' || res.cseq?.seq !== this.request.cseq?.seq) return;
    if (!this.cancelReason && this.retry(res)) return;
    this.clearNoAnswer();
    if (this.cancelReason && res.status === 487) return this.terminate({ ...this.cancelReason, status: 487 });
    this.emit('rejected', res);
    this.terminate({ by: 'remote', reason: res.status < 400 ? 'redirected' : 'rejected', status: res.status });
  }

  /** One retry per kind: 401/407 with credentials (§22.2), 422 with the asked Min-SE (RFC 4028). */
  private retry(res: SipResponse): boolean {
    if (this.retried.has(res.status)) return false;
    const next = this.nextInvite();
    if ((res.status === 401 || res.status === 407) && this.credentials) {
      if (!this.digest.authorize(next, res, this.credentials)) return false;
    } else if (res.status === 422) {
      const minSE = parseMinSE(res);
      if (minSE === undefined) return false;
      next.set('session-expires', String(minSE));
      next.set('min-se', String(minSE));
    } else return false;
    this.retried.add(res.status);
    for (const e of this.early.values()) this.host.unregisterDialog(e.dialog);
    this.early.clear();
    this.dialog = undefined;
    this.setState('initial');
    this.send(next);
    return true;
  }

  /** Same Call-ID, From tag, To; CSeq + 1; a fresh Via (set by the host); §8.1.3.5, §22.2. */
  private nextInvite(): SipRequest {
    const prev = this.request;
    const headers = prev.headers.filter((h) => h.name !== 'via').map((h) => ({ ...h }));
    const next = new SipRequest('INVITE', prev.uri, headers, prev.body);
    next.set('cseq', `${(prev.cseq?.seq ?? 1) + 1} INVITE`);
    return next;
  }

  private onInviteFailure(status: number, reason: string, info: TerminationInfo): void {
    if (this.state === 'terminated' || this.state === 'established') return;
    this.clearNoAnswer();
    if (this.cancelReason) return this.terminate(this.cancelReason);
    const res = new SipResponse(status, reason);
    for (const name of ['via', 'from', 'to', 'call-id', 'cseq']) {
      const v = this.request.get(name);
      if (v !== undefined) res.add(name, v);
    }
    this.emit('rejected', res);
    this.terminate({ ...info, status });
  }

  private clearNoAnswer(): void {
    this.noAnswer?.cancel();
    this.noAnswer = undefined;
  }

  protected override onTerminate(): void {
    this.clearNoAnswer();
    for (const e of this.early.values()) if (e.dialog !== this.dialog) this.host.unregisterDialog(e.dialog);
    this.early.clear();
  }
}
