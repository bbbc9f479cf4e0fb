// The UAS side of an INVITE session (RFC 3261 §13.3): what the application does with an
// incoming call — ring (optionally reliably, RFC 3262), answer, reject, redirect — and what
// the caller may do before the answer (CANCEL, PRACK, UPDATE). The UserAgent has already
// validated the INVITE (§8.2) when it hands one of these out.
import { Dialog } from '../dialog/index.ts';
import type { SipRequest } from '../message/index.ts';
import type { ServerTransaction } from '../transaction/index.ts';
import type { Destination, Source } from '../transaction/index.ts';
import { newTag } from './ids.ts';
import { InviteSession } from './invite-session.ts';
import { ReliableProvisionals } from './reliable-provisionals.ts';
import { buildResponse } from './response-builder.ts';
import type { SessionHost } from './session-host.ts';
import type { SessionBody } from './session-state.ts';
import { SessionRequestError } from './session-state.ts';

export interface ProgressOptions {
  /** Early media SDP (183); default none. */
  body?: Buffer | string;
  /** Default application/sdp. */
  contentType?: string;
  /** Send reliably (RFC 3262) when the caller supports 100rel; default: only when it requires it. */
  reliable?: boolean;
  /** Reason phrase; default the standard one. */
  reason?: string;
  headers?: Array<[string, string]>;
}

export interface AnswerOptions {
  /** Our SDP answer (or offer, when the INVITE had none). */
  body: Buffer | string;
  /** Default application/sdp. */
  contentType?: string;
  headers?: Array<[string, string]>;
}

export class IncomingSession extends InviteSession {
  readonly request: SipRequest;
  readonly source: Source;
  /** The caller's offer, when the INVITE carried one. */
  readonly offer: SessionBody | undefined;
  /** Identity the authenticate hook vouched for, if any (set before the 'invite' event). */
  identity: string | undefined;
  private readonly stx: ServerTransaction;
  private readonly localTag = newTag();
  private readonly contact: string;
  private finalSent = false;
  private reliable: ReliableProvisionals | undefined;
  private byeAfterAck = false;

  constructor(host: SessionHost, stx: ServerTransaction, contact: string, flow: Destination | undefined) {
    super(host);
    this.stx = stx;
    this.request = stx.request;
    this.source = stx.source;
    this.contact = contact;
    this.flow = flow;
    const req = stx.request;
    this.offer = req.body.length > 0 ? { body: req.body, contentType: req.contentType ?? 'application/sdp' } : undefined;
    this.learnPeer(req);
  }

  /** The server transaction id, which CANCEL matching uses. */
  get transactionId(): string {
    return this.stx.id;
  }

  private ensureDialog(state: 'early' | 'confirmed'): Dialog {
    if (!this.dialog) {
      this.dialog = Dialog.asUas(this.request, this.localTag, this.contact, state, this.source.protocol === 'TLS');
      this.host.registerDialog(this.dialog, this);
    } else if (state === 'confirmed') this.dialog.confirm();
    return this.dialog;
  }

  private assertOpen(what: string): void {
    if (this.finalSent || this.state === 'terminated') throw new SessionRequestError(`cannot ${what}: final response already sent`);
  }

  /** 180 Ringing / 183 Session Progress (§13.3.1.1), reliable per RFC 3262 when asked or required. */
  progress(status = 180, opts: ProgressOptions = {}): void {
    this.assertOpen('send progress');
    if (status <= 100 || status >= 200) throw new RangeError(`progress status must be 101..199, got ${status}`);
    const requires = this.request.tokens('require').includes('100rel');
    const supports = requires || this.peerSupports('100rel');
    const reliable = requires || (opts.reliable === true && supports);
    const dialog = this.ensureDialog('early');
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? Buffer.from(opts.body) : opts.body;
    const res = this.replyBuild(status, opts.reason, [['contact', dialog.localContact], ...(opts.headers ?? [])], body, opts.contentType);
    if (body) this.localBody = { body, contentType: opts.contentType ?? 'application/sdp' };
    this.setState('early');
    if (reliable) {
      this.reliable ??= new ReliableProvisionals(this.host.clock, this.host.timers.t1, this.stx, () => {
        if (this.finalSent) return;
        this.finalSent = true;
        this.replyFinal(500, 'Reliable Provisional Response Not Acknowledged');
        this.terminate({ by: 'timeout', reason: 'prack-timeout', status: 500 });
      });
      this.reliable.send(res);
    } else this.stx.respond(res);
  }

  private replyBuild(status: number, reason: string | undefined, headers: Array<[string, string]>, body?: Buffer, contentType?: string) {
    return buildFor(this.request, status, reason, this.localTag, this.host.config.userAgentName, headers, body, body ? (contentType ?? 'application/sdp') : undefined);
  }

  private replyFinal(status: number, reason?: string, headers: Array<[string, string]> = []): void {
    this.reliable?.stop();
    this.stx.respond(this.replyBuild(status, reason, headers));
  }

  /** 200 OK (§13.3.1.4): Contact, Record-Route copied, timers; retransmitted until the ACK. */
  answer(opts: AnswerOptions): void {
    this.assertOpen('answer');
    this.finalSent = true;
    this.reliable?.stop();
    const body: SessionBody = {
      body: typeof opts.body === 'string' ? Buffer.from(opts.body) : opts.body,
      contentType: opts.contentType ?? 'application/sdp',
    };
    this.localBody = body;
    this.remoteBody = this.offer;
    this.ensureDialog('confirmed');
    const timerHeaders = this.negotiateTimerAsUas(this.request);
    this.send2xx(this.stx, body, [...timerHeaders, ...(opts.headers ?? [])], this.offer === undefined);
    this.setState('answered');
  }

  /** Refuse the call with a final status ≥300 (§13.3.1.3); default 486 Busy Here. */
  reject(status = 486, reason?: string, headers: Array<[string, string]> = []): void {
    this.assertOpen('reject');
    if (status < 300 || status > 699) throw new RangeError(`reject status must be 300..699, got ${status}`);
    this.finalSent = true;
    this.replyFinal(status, reason, headers);
    this.terminate({ by: 'local', reason: status < 400 ? 'redirected' : 'rejected', status });
  }

  /** 302 Moved Temporarily with the given Contact URIs (§13.3.1.2, §21.3.3). */
  redirect(contacts: string[], status = 302): void {
    const value = contacts.map((c) => (c.startsWith('<') ? c : `<${c}>`)).join(', ');
    this.reject(status, undefined, [['contact', value]]);
  }

  /** Before the answer: reject with 480; after: BYE (delayed until the ACK, §15). */
  override bye(): Promise<void> {
    if (this.state === 'initial' || this.state === 'early') {
      if (!this.finalSent) this.reject(480, 'Temporarily Unavailable');
      return Promise.resolve();
    }
    if (this.state === 'answered') {
      this.byeAfterAck = true;
      return Promise.resolve();
    }
    return super.bye();
  }

  /** The transaction layer matched a CANCEL (and already answered it 200, §9.2). */
  handleCancel(cancel: SipRequest): void {
    if (this.finalSent || this.state === 'terminated') return;
    this.finalSent = true;
    this.replyFinal(487);
    this.emit('cancelled', cancel);
    this.terminate({ by: 'remote', reason: 'cancelled', status: 487 });
  }

  override handleAck(req: SipRequest): boolean {
    const initial = this.state === 'answered';
    if (!super.handleAck(req)) return false;
    if (initial) {
      this.setState('established');
      this.startNegotiatedTimer(this.request);
      this.emit('ack', req);
      if (this.byeAfterAck) void this.bye();
    }
    return true;
  }

  protected override onNoAck(): void {
    if (this.state === 'answered') this.setState('established');
    super.onNoAck();
  }

  /** §15.1.2: a BYE before our final response ends the INVITE with 487. */
  protected override onBye(req: SipRequest, stx: ServerTransaction): void {
    if (!this.finalSent) {
      this.finalSent = true;
      this.replyFinal(487);
    }
    super.onBye(req, stx);
  }

  protected override onPrack(req: SipRequest, stx: ServerTransaction): void {
    if (!this.reliable?.acknowledge(req)) return super.onPrack(req, stx);
    this.reply(stx, 200);
    this.emit('prack', req);
  }

  protected override onTerminate(): void {
    this.reliable?.stop();
  }
}

function buildFor(
  req: SipRequest, status: number, reason: string | undefined, toTag: string, server: string,
  headers: Array<[string, string]>, body?: Buffer, contentType?: string,
) {
  return buildResponse(req, status, reason, {
    toTag, recordRoute: status > 100 && status < 300, headers: [['server', server], ...headers], body, contentType,
  });
}
