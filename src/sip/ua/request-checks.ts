// The UAS's verdicts on a new request that parsed and validated (RFC 3261 §8.2.1–§8.2.3):
// pure functions, each answering "which error response, if any". The UserAgent runs them in
// the order §8.2 gives (method, headers, content), so a request broken in two ways gets the
// error a peer expects first (RFC 4475 §3.1.2 cases unkscm, novelsc, bext01, invut, sdp01).
import { findBodyPart } from '../message/index.ts';
import type { SipRequest } from '../message/index.ts';

export interface Verdict {
  status: number;
  reason?: string;
  headers?: Array<[string, string]>;
}

const SCHEMES = new Set(['sip', 'sips', 'tel']);

/** §8.2.1: a method we recognise but do not implement → 405 with Allow. */
export function checkMethod(req: SipRequest, allow: readonly string[]): Verdict | undefined {
  if (allow.includes(req.method)) return undefined;
  return { status: 405, headers: [['allow', allow.join(', ')]] };
}

/** §8.2.2.1: a Request-URI scheme we do not understand → 416 (RFC 4475 unkscm). */
export function checkScheme(req: SipRequest): Verdict | undefined {
  return SCHEMES.has(req.requestUri.scheme) ? undefined : { status: 416 };
}

/** §8.2.2.3: option tags in Require (and Proxy-Require, RFC 4475 bext01) we lack → 420 + Unsupported. */
export function checkRequire(req: SipRequest, supported: readonly string[]): Verdict | undefined {
  const missing = [...req.tokens('require'), ...req.tokens('proxy-require')].filter((t) => !supported.includes(t));
  if (missing.length === 0) return undefined;
  return { status: 420, headers: [['unsupported', [...new Set(missing)].join(', ')]] };
}

const MULTIPART = /^multipart\//;

/** §8.2.3: an INVITE body we cannot read (RFC 4475 invut) → 415 with Accept / Accept-Encoding. */
export function checkInviteBody(req: SipRequest): Verdict | undefined {
  if (req.body.length === 0) return undefined;
  const encoding = (req.get('content-encoding') ?? '').trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    return { status: 415, headers: [['accept-encoding', 'identity']] };
  }
  const ct = req.contentType ?? '';
  const media = ct.split(';')[0].trim().toLowerCase();
  if (media === 'application/sdp') return undefined;
  if (MULTIPART.test(media)) {
    try {
      if (findBodyPart(req.body, ct, 'application/sdp')) return undefined;
    } catch {
      // An unreadable multipart body is as good as an unknown type.
    }
  }
  return { status: 415, headers: [['accept', 'application/sdp, multipart/mixed']] };
}

/**
 * §8.2.3 / RFC 4475 sdp01: an INVITE whose Accept excludes SDP cannot get our answer → 406.
 * (RFC 4475 allows 400 too; 406 says more.)
 */
export function checkAccept(req: SipRequest): Verdict | undefined {
  if (!req.has('accept')) return undefined;
  const types = req.tokens('accept').map((t) => t.split(';')[0].trim());
  if (types.length === 0) return undefined; // an empty Accept means "no body", which we can still answer in ACK.
  if (types.some((t) => t === 'application/sdp' || t === 'application/*' || t === '*/*')) return undefined;
  return { status: 406, headers: [['accept', 'application/sdp']] };
}
