// A SIP dialog (RFC 3261 §12): the state two UAs share for the life of a call, used to build
// in-dialog requests (§12.2.1.1) and to check incoming ones (§12.2.2). It knows nothing of
// sessions, SDP or transactions; the UA core owns those and asks the dialog for headers.
// It must never send anything itself.

import { parseNameAddr, SipRequest } from '../message/index.ts';
import type { SipResponse } from '../message/index.ts';
import { dialogKey } from './dialog-state.ts';
import type { DialogId, DialogState } from './dialog-state.ts';

/** Extra headers for an in-dialog request, in order. */
export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

export interface InDialogRequestOptions {
  /** Extra headers appended after the dialog's own; default none. */
  headers?: HeaderList;
  /** Message body; default empty. */
  body?: Buffer | string;
  /** Content-Type of the body; default none (required when body is non-empty). */
  contentType?: string;
  /** CSeq number to use instead of incrementing the local sequence (ACK and CANCEL, §12.2.1.1). */
  cseq?: number;
}

/** The outcome of checking an incoming in-dialog request (§12.2.2). */
export interface DialogCheck {
  status: number;
  reason: string;
}

/** Methods that refresh the remote target (RFC 3261 §12.2, RFC 3311 §5.2, RFC 6665 §4.1). */
const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

/** Methods whose requests must carry our Contact (§8.1.1.8, RFC 3311, RFC 3515). */
const NEEDS_CONTACT = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

function withTag(headerValue: string, tag: string): string {
  return `${headerValue};tag=${tag}`;
}

function hasLr(routeValue: string): boolean {
  try {
    return parseNameAddr(routeValue).uri.params.has('lr');
  } catch {
    return false;
  }
}

/** The URI inside a name-addr (`<sip:p1;lr>` → `sip:p1;lr`). */
function uriOf(nameAddr: string): string {
  return parseNameAddr(nameAddr).uri.raw;
}

export class Dialog {
  readonly id: DialogId;
  readonly key: string;
  /** Which side created the dialog: the UAC sent the INVITE, the UAS received it. */
  readonly role: 'uac' | 'uas';
  state: DialogState;
  /** From (UAC) or To (UAS) header value we send, with our tag. */
  readonly localHeader: string;
  /** To (UAC) or From (UAS) header value we send, with the peer's tag. */
  readonly remoteHeader: string;
  /** The URI in localHeader. */
  readonly localUri: string;
  /** The URI in remoteHeader. */
  readonly remoteUri: string;
  /** Where in-dialog requests go: the peer's Contact URI (§12.1.1, §12.1.2). */
  remoteTarget: string;
  /** Route set as name-addr strings, in the order we put them in Route headers. */
  routeSet: string[];
  /** Last CSeq we used; undefined until we send the first request of a UAS dialog (§12.1.1). */
  localSeq: number | undefined;
  /** Highest CSeq received from the peer; undefined until the first one (§12.1.2). */
  remoteSeq: number | undefined;
  /** sips Request-URI over TLS (§12.1.1). */
  readonly secure: boolean;
  /** Contact value we put in target-refresh requests and their 2xx. */
  localContact: string;

  private constructor(init: {
    id: DialogId; role: 'uac' | 'uas'; state: DialogState; localHeader: string; remoteHeader: string;
    remoteTarget: string; routeSet: string[]; localSeq: number | undefined; remoteSeq: number | undefined;
    secure: boolean; localContact: string;
  }) {
    this.id = init.id;
    this.key = dialogKey(init.id);
    this.role = init.role;
    this.state = init.state;
    this.localHeader = init.localHeader;
    this.remoteHeader = init.remoteHeader;
    this.localUri = uriOf(init.localHeader);
    this.remoteUri = uriOf(init.remoteHeader);
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.secure = init.secure;
    this.localContact = init.localContact;
  }

  /**
   * RFC 3261 §12.1.1: the UAS side, from the dialog-creating request and the tag we put in
   * our 1xx/2xx. Route set = Record-Route in order; remote target = Contact; remote CSeq =
   * the request's; local CSeq empty.
   */
  static asUas(req: SipRequest, localTag: string, localContact: string, state: DialogState, overTls = false): Dialog {
    const callId = req.callId ?? '';
    const remoteTag = req.fromTag ?? '';
    return new Dialog({
      id: { callId, localTag, remoteTag },
      role: 'uas',
      state,
      localHeader: withTag(req.get('to') ?? '', localTag),
      remoteHeader: req.get('from') ?? '',
      remoteTarget: req.contacts[0]?.uri.raw ?? req.from?.uri.raw ?? '',
      routeSet: req.getAll('record-route'),
      localSeq: undefined,
      remoteSeq: req.cseq?.seq,
      secure: overTls && req.requestUri.scheme === 'sips',
      localContact,
    });
  }

  /**
   * RFC 3261 §12.1.2: the UAC side, from our request and a 1xx/2xx with a To tag. Route set =
   * Record-Route reversed; remote target = Contact; local CSeq = the request's; remote empty.
   */
  static asUac(req: SipRequest, res: SipResponse, localContact: string, state: DialogState): Dialog {
    return new Dialog({
      id: { callId: req.callId ?? '', localTag: req.fromTag ?? '', remoteTag: res.toTag ?? '' },
      role: 'uac',
      state,
      localHeader: req.get('from') ?? '',
      remoteHeader: res.get('to') ?? '',
      remoteTarget: res.contacts[0]?.uri.raw ?? req.uri,
      routeSet: res.getAll('record-route').reverse(),
      localSeq: req.cseq?.seq,
      remoteSeq: undefined,
      secure: req.requestUri.scheme === 'sips',
      localContact,
    });
  }

  /**
   * early → confirmed. For the UAC the 2xx decides the route set and target, which may differ
   * from those of the 1xx that created the early dialog (§13.2.2.4, §12.1.2).
   */
  confirm(res?: SipResponse): void {
    if (this.state === 'terminated') return;
    if (res && this.role === 'uac') {
      this.routeSet = res.getAll('record-route').reverse();
      const contact = res.contacts[0];
      if (contact) this.remoteTarget = contact.uri.raw;
    }
    this.state = 'confirmed';
  }

  terminate(): void {
    this.state = 'terminated';
  }

  /**
   * Build an in-dialog request (RFC 3261 §12.2.1.1). Via is left to the caller, who knows
   * the transport and branch. ACK and CANCEL reuse the INVITE's CSeq (pass opts.cseq).
   */
  createRequest(method: string, opts: InDialogRequestOptions = {}): SipRequest {
    let seq: number;
    if (opts.cseq !== undefined) seq = opts.cseq;
    else {
      // §12.2.1.1: a UAS dialog's local sequence starts empty; any value below 2^31 will do.
      this.localSeq = (this.localSeq ?? 0) + 1;
      seq = this.localSeq;
    }
    const { uri, routes } = this.requestTarget();
    const req = new SipRequest(method, uri);
    for (const r of routes) req.add('route', r);
    req.add('max-forwards', '70');
    req.add('to', this.remoteHeader);
    req.add('from', this.localHeader);
    req.add('call-id', this.id.callId);
    req.add('cseq', `${seq} ${method === 'CANCEL' ? 'CANCEL' : method}`);
    if (NEEDS_CONTACT.has(method)) req.add('contact', this.localContact);
    for (const [n, v] of opts.headers ?? []) req.add(n, v);
    if (opts.body !== undefined && opts.body.length > 0) {
      req.body = typeof opts.body === 'string' ? Buffer.from(opts.body) : opts.body;
      if (opts.contentType) req.set('content-type', opts.contentType);
    }
    return req;
  }

  /**
   * Request-URI and Route headers (§12.2.1.1): loose routing keeps the remote target in the
   * Request-URI; a strict router (no `lr` on the first route) gets it instead, and the
   * remote target goes last in Route.
   */
  requestTarget(): { uri: string; routes: string[] } {
    if (this.routeSet.length === 0) return { uri: this.remoteTarget, routes: [] };
    const first = this.routeSet[0];
    if (hasLr(first)) return { uri: this.remoteTarget, routes: [...this.routeSet] };
    return { uri: uriOf(first), routes: [...this.routeSet.slice(1), `<${this.remoteTarget}>`] };
  }

  /** The URI the next hop is resolved from (§8.1.2): the first route, or the remote target. */
  nextHopUri(): string {
    return this.routeSet.length > 0 ? uriOf(this.routeSet[0]) : this.remoteTarget;
  }

  /**
   * Check an incoming in-dialog request and advance the remote sequence (§12.2.2). Returns the
   * error response to send, or undefined when the request may proceed. Target refresh is
   * separate (refreshTarget) because it happens only when the request is accepted.
   */
  receiveRequest(req: SipRequest): DialogCheck | undefined {
    if (req.method === 'ACK' || req.method === 'CANCEL') return undefined;
    const seq = req.cseq?.seq;
    if (seq === undefined) return { status: 400, reason: 'Missing CSeq' };
    if (this.remoteSeq !== undefined && seq < this.remoteSeq) {
      return { status: 500, reason: 'CSeq Out of Order' };
    }
    this.remoteSeq = seq;
    return undefined;
  }

  /**
   * Target refresh (§12.2): an INVITE/UPDATE (or its 2xx, for requests we sent) replaces the
   * remote target with its Contact, when it carries one.
   */
  refreshTarget(msg: SipRequest | SipResponse, method: string): void {
    if (!TARGET_REFRESH.has(method)) return;
    const contact = msg.contacts[0];
    if (contact && !contact.star) this.remoteTarget = contact.uri.raw;
  }
}
