// The SIP message model shared by every part of the stack (RFC 3261 §7, §20, §25).
// Messages keep their headers as raw, unfolded strings and parse a header's value only
// when somebody asks for it (and then cache it), so the hot path of an INVITE/200 does
// not pay for headers nobody reads. This file is the contract; parser.ts fills it.
import type { SipRequest } from './sip-message.ts';

/** URI or header parameters. Keys are lower-cased; a flag parameter (`;lr`) maps to null. */
export type Params = Map<string, string | null>;

/** A parsed URI: sip, sips and tel are understood; any other scheme is kept as `raw`. */
export interface Uri {
  /** Lower-cased scheme: 'sip' | 'sips' | 'tel' | anything else. */
  scheme: string;
  /** userinfo user part, %-unescaped (sip/sips); the number for tel. */
  user?: string;
  password?: string;
  /** Host (lower-cased; IPv6 kept in brackets) for sip/sips; '' for tel and unknown schemes. */
  host: string;
  port?: number;
  params: Params;
  /** `?name=value&…` URI headers, unescaped. */
  headers: Map<string, string>;
  /** The URI exactly as it appeared on the wire. */
  raw: string;
}

/** name-addr or addr-spec with header parameters (From, To, Contact, Route, Refer-To …). */
export interface NameAddr {
  displayName?: string;
  uri: Uri;
  params: Params;
  /** `*` in Contact (REGISTER remove-all). */
  star?: boolean;
}

/** One Via header value (RFC 3261 §20.42, RFC 3581 rport). */
export interface Via {
  /** 'SIP/2.0' normally; kept for completeness. */
  protocol: string;
  /** Upper-cased transport: UDP, TCP, TLS, WS, WSS, SCTP, or anything unknown. */
  transport: string;
  host: string;
  port?: number;
  params: Params;
  branch?: string;
  received?: string;
  /** undefined: no rport; null: rport requested (flag); number: filled in. */
  rport?: number | null;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** One header line as on the wire; `name` is the canonical lower-case long form. */
export interface HeaderField {
  name: string;
  value: string;
}

/** Why a message could not be parsed, and what a request gets for it. */
export class SipParseError extends Error {
  constructor(
    message: string,
    /** Response to send when the broken message is a request we could identify (400, 505 …). */
    readonly status: number = 400,
    /** True when stream framing is lost (bad Content-Length): close the connection. */
    readonly fatalFraming: boolean = false,
    /**
     * For a broken request: whatever could be read (start line and headers), so the
     * transport can still answer with `status` (a 400 needs Via, From, To, Call-ID, CSeq).
     * Undefined for responses and when nothing usable was found.
     */
    public partial?: SipRequest,
  ) {
    super(message);
    this.name = 'SipParseError';
  }
}
