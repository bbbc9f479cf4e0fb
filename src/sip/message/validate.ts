// The syntactic checks a UAS or registrar makes before it processes a request (RFC 3261
// §8.2, §16.3 step 1 for the parts that apply to a UAS; RFC 4475 §3.1.2, §3.3). It answers
// "would the request get an error response, and which one"; it sends nothing. The parser
// stays lazy, so this is where the headers a UAS depends on are parsed for the first time.
// Application-level verdicts (416, 420, 415, 405, 483 …) belong to the UA, not here.
import type { SipRequest, SipResponse } from './sip-message.ts';
import { SipParseError } from './types.ts';

export interface ValidationFailure {
  status: number;
  reason: string;
  /** Header lines the error response should carry; none today, kept for 420/421-style answers. */
  extraHeaders?: [string, string][];
}

/** Methods this stack recognises (RFC 3261 and common extensions); others earn 501 on mismatch. */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY',
  'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
]);

const REQUIRED = [['via', 'Via'], ['to', 'To'], ['from', 'From'], ['call-id', 'Call-ID'], ['cseq', 'CSeq']] as const;
/** RFC 3261 §7.3.1: these may appear once only (RFC 4475 §3.3.8). */
const SINGLE = [
  ['call-id', 'Call-ID'], ['to', 'To'], ['from', 'From'], ['cseq', 'CSeq'], ['max-forwards', 'Max-Forwards'],
  ['content-length', 'Content-Length'],
] as const;

const bad = (why: string): ValidationFailure => ({ status: 400, reason: `Bad Request (${why})` });

function parses(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (e instanceof SipParseError) return false;
    throw e;
  }
}

/**
 * undefined when the request may be processed; otherwise the error response to send.
 *
 * Tolerated on purpose (RFC 4475 allows either; we pick what keeps real traffic flowing):
 * - Max-Forwards above 255 (§3.1.2.4): it is still a hop count; a proxy decrements it.
 *   A non-numeric Max-Forwards is a 400.
 * - Expires is not checked: overlarge values are the registrar's to clamp (RFC 3261 §10.3
 *   step 7 lets it shorten any expiry), and RFC 2543 peers may send a date there.
 * - Missing Max-Forwards: RFC 2543 peers omit it (RFC 4475 §3.4.1).
 * - A Date with a zone other than GMT (§3.1.2.12): Date is never interpreted.
 * Refused:
 * - Missing Via/To/From/Call-ID/CSeq, and repeated single-valued headers → 400.
 * - A Request-URI in <>, with LWS, unparsable, or carrying ?headers (§3.1.2.7, §3.1.2.11;
 *   an unknown scheme parses and is for the UA to answer 416).
 * - CSeq above 2^32-1 (§3.1.2.4) or with another method than the request (§3.1.2.17) → 400;
 *   501 when the request method itself is unknown (§3.1.2.18).
 * - Malformed Via, From, To, Contact, Route, Record-Route values (§3.1.2.1, §3.1.2.6,
 *   §3.1.2.13, §3.1.2.15) → 400.
 */
export function validateRequest(req: SipRequest): ValidationFailure | undefined {
  for (const [n, label] of REQUIRED) if (req.count(n) === 0) return bad(`missing ${label}`);
  for (const [n, label] of SINGLE) if (req.count(n) > 1) return bad(`more than one ${label}`);

  const ruri = req.uri;
  if (ruri.includes('<') || ruri.includes('>')) return bad('Request-URI enclosed in <>');
  if (!parses(() => req.requestUri)) return bad('malformed Request-URI');
  if (req.requestUri.headers.size > 0) return bad('Request-URI carries headers');

  if (!parses(() => req.cseq)) return bad('malformed CSeq');
  const cseq = req.cseq;
  if (cseq && cseq.method !== req.method) {
    if (!KNOWN_METHODS.has(req.method)) return { status: 501, reason: 'Not Implemented' };
    return bad('CSeq method does not match the request');
  }

  if (!parses(() => req.vias)) return bad('malformed Via');
  if (!parses(() => req.from)) return bad('malformed From');
  if (!parses(() => req.to)) return bad('malformed To');
  if (!parses(() => req.contacts)) return bad('malformed Contact');
  if (!parses(() => req.routes)) return bad('malformed Route');
  if (!parses(() => req.recordRoutes)) return bad('malformed Record-Route');

  const mf = req.get('max-forwards');
  if (mf !== undefined && !/^\d{1,10}$/.test(mf)) return bad('malformed Max-Forwards');
  return undefined;
}

/**
 * Why a received response must be dropped (RFC 3261 §8.1.3.3, §18.1.2; RFC 4475 §3.1.2.5),
 * or undefined if it is usable. Responses are never answered, only discarded.
 */
export function validateResponse(res: SipResponse): string | undefined {
  for (const [n, label] of REQUIRED) if (res.count(n) === 0) return `missing ${label}`;
  for (const [n, label] of SINGLE) if (res.count(n) > 1) return `more than one ${label}`;
  if (!parses(() => res.cseq)) return 'malformed CSeq';
  if (!parses(() => res.vias)) return 'malformed Via';
  if (!parses(() => res.from)) return 'malformed From';
  if (!parses(() => res.to)) return 'malformed To';
  return undefined;
}
