// The UA core (RFC 3261 §8, §12–§15): the transaction user above the TransactionLayer. It
// validates new requests in the §8.2 order, routes in-dialog requests to their session (481
// when there is none), answers OPTIONS, hands REGISTER to the registrar and INVITEs to the
// application as IncomingSessions, and sends INVITEs and other requests as a UAC.
// It must never block on the application: every hook is async and every error is answered.
import { EventEmitter } from 'node:events';
import { nullLogger, systemClock } from '../../lib/index.ts';
import type { Clock, Logger } from '../../lib/index.ts';
import { DigestClient } from '../auth/index.ts';
import type { DigestCredentials } from '../auth/index.ts';
import { dialogKey } from '../dialog/index.ts';
import type { Dialog } from '../dialog/index.ts';
import { SipRequest, validateRequest } from '../message/index.ts';
import type { SipResponse, Uri } from '../message/index.ts';
import { DEFAULT_TIMER_SETTINGS, newBranch, responseDestination } from '../transaction/index.ts';
import type {
  ClientTransaction, ClientTransactionHandlers, Destination, ServerTransaction, Source, TimerSettings,
  TransactionLayer,
} from '../transaction/index.ts';
import type { MessageSender } from '../transport/index.ts';
import { destinationForUri } from './destination.ts';
import { newCallId, newTag } from './ids.ts';
import { IncomingSession } from './incoming-session.ts';
import { parseReplaces } from './replaces.ts';
import type { InviteSession } from './invite-session.ts';
import { OutgoingSession } from './outgoing-session.ts';
import type { InviteOptions } from './outgoing-session.ts';
import { checkAccept, checkInviteBody, checkMethod, checkRequire, checkScheme } from './request-checks.ts';
import type { Verdict } from './request-checks.ts';
import { buildResponse } from './response-builder.ts';
import type { SessionHost, SessionHostConfig } from './session-host.ts';
import { DEFAULT_SESSION_TIMER, parseSessionExpires } from './session-timer.ts';
import type { SessionTimerSettings } from './session-timer.ts';

/** What the authenticate hook says about a request. */
export type AuthenticateResult = { ok: true; identity?: string } | { ok: false; response: SipResponse };

/** The part of a Registrar the UA uses. */
export interface RegistrarLike {
  handle(req: SipRequest, source?: Source): Promise<SipResponse>;
}

export interface UserAgentOptions {
  /** The transaction layer to sit on; required. */
  transactions: TransactionLayer;
  /** The transport, for Via/Contact addresses (viaFor); required. */
  transport: MessageSender;
  /** Default systemClock. */
  clock?: Clock;
  /** Default nullLogger. */
  logger?: Logger;
  /** Must equal the transaction layer's; default RFC 3261 Table 4. */
  timers?: Partial<TimerSettings>;
  /** User-Agent / Server header value; default 'Switchboard'. */
  userAgentName?: string;
  /** User part of our Contact; default 'switchboard'. */
  contactUser?: string;
  /** Methods we implement (Allow); default the methods listed in DEFAULT_ALLOW (+REGISTER with a registrar). */
  allowMethods?: string[];
  /** Option tags we support; default ['100rel', 'timer', 'replaces', 'norefersub']. */
  supported?: string[];
  /** Session timers (RFC 4028); default enabled, 1800 s, Min-SE 90 s. */
  sessionTimer?: Partial<SessionTimerSettings>;
  /** Authentication policy for new out-of-dialog requests whose method is in authenticateMethods (the server decides trust); default none. */
  authenticate?: (req: SipRequest, source: Source) => Promise<AuthenticateResult>;
  /** Methods the authenticate hook is asked about; default ['INVITE', 'MESSAGE']. */
  authenticateMethods?: string[];
  /** REGISTER handler; default none (REGISTER → 405, and Allow omits it). */
  registrar?: RegistrarLike;
  /** Whether a Request-URI is ours; false → 404 (§8.2.2.1). Default: everything is ours. */
  isLocalDomain?: (uri: Uri) => boolean;
}

/** A MESSAGE (RFC 3428) from an authenticated source; already answered 200. */
export interface IncomingMessage {
  request: SipRequest;
  source: Source;
  identity: string | undefined;
  contentType: string | undefined;
  body: Buffer;
}

export interface UserAgentEvents {
  /** A new call. Answer, reject or redirect it; unhandled INVITEs get 480. */
  invite: [session: IncomingSession];
  message: [message: IncomingMessage];
}

/** Options of a non-INVITE request outside any dialog (OPTIONS ping, REGISTER, MESSAGE). */
export interface RequestOptions {
  method: string;
  uri: string;
  /** Default from the first Route header, else the Request-URI. */
  dest?: Destination;
  /** From name-addr or URI (no tag); default `<sip:{contactUser}@{via host}>`. */
  from?: string;
  /** To name-addr or URI; default `<{uri}>`. */
  to?: string;
  headers?: Array<[string, string]>;
  body?: Buffer | string;
  contentType?: string;
  /** Answer one 401/407 challenge; default none. */
  credentials?: DigestCredentials;
  /** Digest state to reuse across requests (registrations); default a fresh one. */
  digest?: DigestClient;
  /** Default a fresh Call-ID. */
  callId?: string;
  /** Default 1. */
  cseq?: number;
  /** From tag; default fresh. */
  fromTag?: string;
  /** Add our Contact header; default true for REGISTER, false otherwise. */
  contact?: boolean;
}

/** Methods that run the authenticate hook in their own handler (or never: ACK, CANCEL, §22.1). */
const SELF_AUTHENTICATING = new Set(['INVITE', 'MESSAGE', 'REGISTER', 'ACK', 'CANCEL']);

export const DEFAULT_ALLOW = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO', 'UPDATE', 'PRACK', 'REFER', 'NOTIFY', 'MESSAGE'];
export const DEFAULT_SUPPORTED = ['100rel', 'timer', 'replaces', 'norefersub'];
/** §8.2.2.2: remember request identities long enough to spot a merged copy (Timer J / 64·T1). */
const MERGE_WINDOW_MS = 32_000;
const IN_DIALOG_ONLY = new Set(['BYE', 'INFO', 'UPDATE', 'PRACK', 'NOTIFY', 'REFER']);

function asNameAddr(s: string): string {
  return s.includes('<') ? s : `<${s}>`;
}

export class UserAgent extends EventEmitter<UserAgentEvents> implements SessionHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timers: TimerSettings;
  readonly config: SessionHostConfig;
  readonly transactions: TransactionLayer;
  private readonly transport: MessageSender;
  private readonly opts: UserAgentOptions;
  private readonly contactUser: string;
  private readonly authMethods: Set<string>;
  private readonly dialogs = new Map<string, InviteSession>();
  private readonly inviteServer = new Map<string, IncomingSession>();
  private readonly outgoing = new Map<string, OutgoingSession>();
  private readonly sessions = new Set<InviteSession>();
  private readonly recent = new Map<string, { branch: string; at: number }>();
  private closed = false;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(opts: UserAgentOptions) {
    super();
    this.opts = opts;
    this.transactions = opts.transactions;
    this.transport = opts.transport;
    this.clock = opts.clock ?? systemClock;
    this.logger = (opts.logger ?? nullLogger).child({ component: 'sip-ua' });
    this.timers = { ...DEFAULT_TIMER_SETTINGS, ...opts.timers };
    this.contactUser = opts.contactUser ?? 'switchboard';
    const allow = opts.allowMethods ?? [...DEFAULT_ALLOW, ...(opts.registrar ? ['REGISTER'] : [])];
    this.config = {
      userAgentName: opts.userAgentName ?? 'Switchboard',
      allow,
      supported: opts.supported ?? DEFAULT_SUPPORTED,
      sessionTimer: { ...DEFAULT_SESSION_TIMER, ...opts.sessionTimer },
    };
    this.authMethods = new Set(opts.authenticateMethods ?? ['INVITE', 'MESSAGE']);
    const on = <A extends unknown[]>(event: string, fn: (...args: A) => void): void => {
      const t = this.transactions as unknown as EventEmitter;
      t.on(event, fn as (...args: unknown[]) => void);
      this.unsubscribe.push(() => t.off(event, fn as (...args: unknown[]) => void));
    };
    on('request', (req: SipRequest, stx: ServerTransaction) => this.onRequest(req, stx));
    on('ack', (req: SipRequest) => this.onAck(req));
    on('cancel', (stx: ServerTransaction, cancel: SipRequest) => this.inviteServer.get(stx.id)?.handleCancel(cancel));
    on('strayResponse', (res: SipResponse) => this.onStrayResponse(res));
  }

  // ── SessionHost ────────────────────────────────────────────────────

  /** Adds a top Via with a fresh branch (§8.1.1.7) and sends through a new client transaction. */
  sendRequest(req: SipRequest, dest: Destination, handlers: ClientTransactionHandlers): ClientTransaction {
    this.stampVia(req, dest);
    return this.transactions.sendRequest(req, dest, handlers);
  }

  sendStateless(msg: SipRequest, dest: Destination): void {
    if (!msg.has('via')) this.stampVia(msg, dest);
    this.transactions.sendStateless(msg, dest);
  }

  retransmitResponse(stx: ServerTransaction, res: SipResponse): void {
    this.transactions.sendStateless(res, responseDestination(stx.request, stx.source));
  }

  destinationFor(dialog: Dialog, flow: Destination | undefined): Destination {
    return flow ?? destinationForUri(dialog.nextHopUri());
  }

  contactFor(dest: Destination): string {
    const via = this.transport.viaFor(dest);
    const transport = via.protocol === 'UDP' ? '' : `;transport=${via.protocol.toLowerCase()}`;
    return `<sip:${this.contactUser}@${via.host}:${via.port}${transport}>`;
  }

  registerDialog(dialog: Dialog, session: unknown): void {
    this.dialogs.set(dialog.key, session as InviteSession);
  }

  unregisterDialog(dialog: Dialog): void {
    this.dialogs.delete(dialog.key);
  }

  private stampVia(req: SipRequest, dest: Destination): void {
    const via = this.transport.viaFor(dest);
    req.remove('via');
    req.prepend('via', `SIP/2.0/${via.protocol} ${via.host}:${via.port};branch=${newBranch()};rport`);
  }

  // ── incoming ───────────────────────────────────────────────────────

  private respond(stx: ServerTransaction, status: number, reason?: string, headers: Array<[string, string]> = [], toTag?: string): void {
    const res = buildResponse(stx.request, status, reason, {
      toTag: toTag ?? newTag(), headers: [['server', this.config.userAgentName], ...headers],
    });
    stx.respond(res);
  }

  private answer(stx: ServerTransaction, v: Verdict): void {
    this.respond(stx, v.status, v.reason, v.headers);
  }

  private onRequest(req: SipRequest, stx: ServerTransaction): void {
    if (this.closed) return void this.respond(stx, 503, 'Shutting Down');
    this.handleRequest(req, stx).catch((err: unknown) => {
      this.logger.error({ err, method: req.method }, 'request handling failed');
      if (stx.state !== 'Terminated' && stx.state !== 'Completed' && stx.state !== 'Accepted' && stx.state !== 'Confirmed') {
        try {
          this.respond(stx, 500);
        } catch {
          // The transaction already has its final response.
        }
      }
    });
  }

  /** RFC 3261 §8.2 in order: syntax, method, URI scheme, then in-dialog routing or the rest. */
  private async handleRequest(req: SipRequest, stx: ServerTransaction): Promise<void> {
    const bad = validateRequest(req);
    if (bad) return this.respond(stx, bad.status, bad.reason, bad.extraHeaders);
    const early = checkMethod(req, this.config.allow) ?? checkScheme(req);
    if (early) return this.answer(stx, early);
    if (req.toTag !== undefined) return this.handleInDialog(req, stx);

    const merged = this.checkMerged(req);
    if (merged) return this.answer(stx, merged);
    if (this.opts.isLocalDomain && !this.opts.isLocalDomain(req.requestUri)) return this.respond(stx, 404);
    const unsupported = checkRequire(req, this.config.supported);
    if (unsupported) return this.answer(stx, unsupported);

    // RFC 3261 §22.1/§22.3: every out-of-dialog method the policy names is challenged, not only
    // INVITE and MESSAGE. INVITE authenticates in handleInvite (it must be indexed for CANCEL
    // first), MESSAGE in handleMessage, REGISTER in the registrar; ACK and CANCEL can never be
    // challenged (§22.1) and in-dialog requests ride on an already authenticated dialog.
    if (this.opts.authenticate && this.authMethods.has(req.method) && !SELF_AUTHENTICATING.has(req.method)) {
      const verdict = await this.opts.authenticate(req, stx.source);
      if (!verdict.ok) return void stx.respond(verdict.response);
    }

    switch (req.method) {
      case 'INVITE': return this.handleInvite(req, stx);
      case 'OPTIONS': return this.respond(stx, 200, undefined, this.capabilities());
      case 'MESSAGE': return this.handleMessage(req, stx);
      case 'REGISTER': return this.handleRegister(req, stx);
      default:
        if (IN_DIALOG_ONLY.has(req.method)) return this.respond(stx, 481, 'Call/Transaction Does Not Exist');
        return this.respond(stx, 405, undefined, [['allow', this.config.allow.join(', ')]]);
    }
  }

  private capabilities(): Array<[string, string]> {
    return [
      ['allow', this.config.allow.join(', ')],
      ['accept', 'application/sdp'],
      ['supported', this.config.supported.join(', ')],
    ];
  }

  /** §12.2.2: a request with a To tag belongs to a dialog we know, or gets 481. */
  private handleInDialog(req: SipRequest, stx: ServerTransaction): void {
    const unsupported = checkRequire(req, this.config.supported);
    if (unsupported) return this.answer(stx, unsupported);
    const key = dialogKey({ callId: req.callId ?? '', localTag: req.toTag ?? '', remoteTag: req.fromTag ?? '' });
    const session = this.dialogs.get(key);
    if (!session?.dialog) return this.respond(stx, 481, 'Call/Transaction Does Not Exist', [], req.toTag);
    const verdict = session.dialog.receiveRequest(req);
    if (verdict) return this.respond(stx, verdict.status, verdict.reason, [], req.toTag);
    session.handleRequest(req, stx);
  }

  /** §8.2.2.2: same From tag, Call-ID and CSeq as a request we have, but another branch → 482. */
  private checkMerged(req: SipRequest): Verdict | undefined {
    const now = this.clock.now();
    // Entries are kept in insertion order, so expired ones are at the front: drop them until
    // the first live one (amortised O(1) per request, never a full scan on the hot path).
    for (const [k, v] of this.recent) {
      if (now - v.at <= MERGE_WINDOW_MS) break;
      this.recent.delete(k);
    }
    const key = `${req.fromTag ?? ''}\n${req.callId ?? ''}\n${req.get('cseq') ?? ''}`;
    const branch = req.topVia?.branch ?? '';
    const seen = this.recent.get(key);
    if (seen && now - seen.at <= MERGE_WINDOW_MS && seen.branch !== branch) {
      return { status: 482, reason: 'Loop Detected' };
    }
    this.recent.set(key, { branch, at: now });
    return undefined;
  }

  private async handleInvite(req: SipRequest, stx: ServerTransaction): Promise<void> {
    const content = checkInviteBody(req) ?? checkAccept(req);
    if (content) return this.answer(stx, content);
    const st = this.config.sessionTimer;
    const se = parseSessionExpires(req);
    if (st.enabled && se && se.interval < st.minSE) {
      return this.respond(stx, 422, 'Session Interval Too Small', [['min-se', String(st.minSE)]]);
    }
    const flow: Destination | undefined = stx.source.protocol === 'UDP' ? undefined : {
      protocol: stx.source.protocol, address: stx.source.address, port: stx.source.port, connectionId: stx.source.connectionId,
    };
    const contact = this.contactFor(flow ?? { protocol: stx.source.protocol, address: stx.source.address, port: stx.source.port });
    // Indexed before authentication so that a CANCEL arriving meanwhile finds it (§9.2).
    const session = new IncomingSession(this, stx, contact, flow);
    this.inviteServer.set(stx.id, session);
    if (this.opts.authenticate && this.authMethods.has('INVITE')) {
      const verdict = await this.opts.authenticate(req, stx.source);
      if (!verdict.ok) {
        this.inviteServer.delete(stx.id);
        if (session.state !== 'terminated') stx.respond(verdict.response);
        return;
      }
      session.identity = verdict.identity;
    }
    if (session.state === 'terminated') return void this.inviteServer.delete(stx.id);
    this.track(session);
    session.once('terminated', () => this.inviteServer.delete(stx.id));
    // RFC 3891 §3: an INVITE that takes the place of one of our dialogs goes to that dialog's
    // session, not to the application's router (it is not a new call).
    if (req.getAll('replaces').length > 0) return this.handleReplaces(session, req.getAll('replaces'));
    if (this.listenerCount('invite') === 0) return session.reject(480, 'Temporarily Unavailable');
    this.emit('invite', session);
  }

  /**
   * RFC 3891 §3 at the receiving UA: more than one Replaces or a malformed one → 400; no
   * confirmed dialog with that Call-ID, to-tag = our local tag and from-tag = our remote tag
   * → 481 (early dialogs are not replaced here; a terminated one is gone from the index);
   * a confirmed one with early-only → 486; a session nobody takes replacements for → 603.
   */
  private handleReplaces(session: IncomingSession, values: string[]): void {
    const r = values.length === 1 ? parseReplaces(values[0]) : undefined;
    if (!r) return session.reject(400, 'Bad Replaces Header');
    const old = this.dialogs.get(dialogKey({ callId: r.callId, localTag: r.toTag, remoteTag: r.fromTag }));
    if (!old || old.state !== 'established') return session.reject(481, 'Call/Transaction Does Not Exist');
    if (r.earlyOnly) return session.reject(486, 'Busy Here');
    if (old.listenerCount('replaced') === 0) return session.reject(603, 'Decline');
    old.emit('replaced', session);
  }

  /** RFC 3428: only from sources the authenticate hook vouches for; without a hook → 403. */
  private async handleMessage(req: SipRequest, stx: ServerTransaction): Promise<void> {
    if (!this.opts.authenticate || !this.authMethods.has('MESSAGE')) return this.respond(stx, 403, 'Forbidden');
    const verdict = await this.opts.authenticate(req, stx.source);
    if (!verdict.ok) return void stx.respond(verdict.response);
    this.respond(stx, 200);
    this.emit('message', { request: req, source: stx.source, identity: verdict.identity, contentType: req.contentType, body: req.body });
  }

  private async handleRegister(req: SipRequest, stx: ServerTransaction): Promise<void> {
    if (!this.opts.registrar) return this.respond(stx, 405, undefined, [['allow', this.config.allow.join(', ')]]);
    stx.respond(await this.opts.registrar.handle(req, stx.source));
  }

  private onAck(req: SipRequest): void {
    const key = dialogKey({ callId: req.callId ?? '', localTag: req.toTag ?? '', remoteTag: req.fromTag ?? '' });
    const session = this.dialogs.get(key);
    if (!session?.handleAck(req)) this.logger.debug({ callId: req.callId }, 'ACK matched no pending 2xx');
  }

  /** RFC 6026 §8.4: a 2xx retransmission after the INVITE transaction ended still needs its ACK. */
  private onStrayResponse(res: SipResponse): void {
    if (res.cseq?.method !== 'INVITE' || res.status < 200 || res.status >= 300) return;
    this.outgoing.get(`${res.callId ?? ''}\n${res.fromTag ?? ''}`)?.handleResponse(res);
  }

  private track(session: InviteSession): void {
    this.sessions.add(session);
    session.once('terminated', () => this.sessions.delete(session));
  }

  // ── outgoing ───────────────────────────────────────────────────────

  private baseRequest(method: string, uri: string, dest: Destination, o: {
    from?: string; to?: string; callId?: string; cseq?: number; fromTag?: string; headers?: Array<[string, string]>;
    body?: Buffer | string; contentType?: string;
  }): SipRequest {
    const via = this.transport.viaFor(dest);
    const req = new SipRequest(method, uri);
    req.add('max-forwards', '70');
    req.add('from', `${asNameAddr(o.from ?? `sip:${this.contactUser}@${via.host}`)};tag=${o.fromTag ?? newTag()}`);
    req.add('to', asNameAddr(o.to ?? uri));
    req.add('call-id', o.callId ?? newCallId(via.host));
    req.add('cseq', `${o.cseq ?? 1} ${method}`);
    req.add('user-agent', this.config.userAgentName);
    for (const [n, v] of o.headers ?? []) req.add(n, v);
    if (o.body !== undefined && o.body.length > 0) {
      req.body = typeof o.body === 'string' ? Buffer.from(o.body) : o.body;
      req.set('content-type', o.contentType ?? 'application/sdp');
    }
    return req;
  }

  /** §8.1.2: first Route if any (loose routing), else the Request-URI. */
  private defaultDest(uri: string, headers: Array<[string, string]> | undefined): Destination {
    const route = headers?.find(([n]) => n.toLowerCase() === 'route')?.[1];
    if (route) return destinationForUri(route.replace(/^[^<]*<([^>]*)>.*$/, '$1'));
    return destinationForUri(uri);
  }

  /** Place a call (§13.2.1). Listen on the returned session before the current tick ends. */
  invite(opts: InviteOptions): OutgoingSession {
    if (this.closed) throw new Error('user agent is closed');
    const dest = opts.dest ?? this.defaultDest(opts.uri, opts.headers);
    const contact = this.contactFor(dest);
    const st = this.config.sessionTimer;
    const req = this.baseRequest('INVITE', opts.uri, dest, {
      ...opts,
      contentType: opts.contentType,
      headers: [
        ['contact', contact],
        ['allow', this.config.allow.join(', ')],
        ['supported', this.config.supported.join(', ')],
        ...(st.enabled ? [['session-expires', String(st.expires)], ['min-se', String(st.minSE)]] as Array<[string, string]> : []),
        ...(opts.headers ?? []),
      ],
    });
    const session = new OutgoingSession(this, { request: req, dest, contact, credentials: opts.credentials, timeoutMs: opts.timeoutMs });
    const key = `${session.callId}\n${session.localTag}`;
    this.outgoing.set(key, session);
    this.track(session);
    session.once('terminated', () => {
      // Late 2xx retransmissions may still arrive for 64·T1; keep answering them with ACK.
      this.clock.setTimeout(() => this.outgoing.delete(key), 64 * this.timers.t1);
    });
    queueMicrotask(() => session.start());
    return session;
  }

  /** A non-INVITE request outside any dialog; resolves with the final response (after one auth retry). */
  request(opts: RequestOptions): Promise<SipResponse> {
    if (this.closed) return Promise.reject(new Error('user agent is closed'));
    const dest = opts.dest ?? this.defaultDest(opts.uri, opts.headers);
    const headers = [...(opts.headers ?? [])];
    if (opts.contact ?? opts.method === 'REGISTER') headers.unshift(['contact', this.contactFor(dest)]);
    const first = this.baseRequest(opts.method, opts.uri, dest, { ...opts, headers });
    const digest = opts.digest ?? new DigestClient();
    if (opts.credentials) digest.preauthorize(first, opts.credentials);
    const sendOnce = (req: SipRequest): Promise<SipResponse> => new Promise((resolve) => {
      const synth = (status: number, reason: string): SipResponse => {
        const r = buildResponse(req, status, reason);
        return r;
      };
      try {
        this.sendRequest(req, dest, {
          onResponse: (res) => {
            if (res.status >= 200) resolve(res);
          },
          onTimeout: () => resolve(synth(408, 'Request Timeout')),
          onTransportError: () => resolve(synth(503, 'Service Unavailable')),
        });
      } catch (err) {
        this.logger.warn({ err }, 'request could not be sent');
        resolve(synth(503, 'Service Unavailable'));
      }
    });
    return sendOnce(first).then((res) => {
      if ((res.status !== 401 && res.status !== 407) || !opts.credentials) return res;
      const next = new SipRequest(first.method, first.uri, first.headers.filter((h) => h.name !== 'via').map((h) => ({ ...h })), first.body);
      next.set('cseq', `${(first.cseq?.seq ?? 1) + 1} ${first.method}`);
      if (!digest.authorize(next, res, opts.credentials)) return res;
      return sendOnce(next);
    });
  }

  /** Counts for metrics and /stats. */
  stats(): { dialogs: number; sessions: number } {
    return { dialogs: this.dialogs.size, sessions: this.sessions.size };
  }

  /** Stop taking requests (503) and hang up every session. Resolves when the BYEs are answered. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.sessions].map((s) => s.bye().catch(() => undefined)));
    for (const off of this.unsubscribe) off();
  }
}
