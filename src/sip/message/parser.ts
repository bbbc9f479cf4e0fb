// Bytes → SipRequest | SipResponse (RFC 3261 §7, §18.3, §25). This is on the per-message
// hot path, so it only frames the message: start line, header lines (unfolded, names
// normalized, values kept as strings), body by Content-Length. Structured parsing of header
// values happens later and lazily, in the SipMessage getters. It must never throw anything
// but SipParseError, whatever the input (RFC 4475).
//
//   start-line CRLF                INVITE sip:bob@b.example SIP/2.0 | SIP/2.0 200 OK
//   *( message-header CRLF )       name HCOLON value, continued by lines starting SP/HTAB
//   CRLF
//   [ message-body ]               Content-Length octets, kept as a Buffer
import * as chars_ from './chars.ts';
import * as header_names_ from './header-names.ts';
import { SipRequest, SipResponse } from './sip-message.ts';
import type { HeaderField } from './types.ts';
import { SipParseError } from './types.ts';

// Imported functions are bound to local consts once: under tsx's CommonJS interop each use
// of an imported binding is a getter call, which on the per-message path cost more than the
// parsing itself (measured with bench/sip-parser.bench.ts).
const { isToken, isWs, trimLws } = chars_;
const { normalizeHeaderName } = header_names_;

export interface ParseOptions {
  /**
   * True for message-framed transports (UDP, WebSocket): RFC 3261 §18.3 datagram rules —
   * octets past Content-Length are discarded, no Content-Length means "the rest". False
   * (default) for one message already framed out of a stream: a bad Content-Length then
   * also marks the error `fatalFraming` (close the connection).
   */
  datagram?: boolean;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');
const EMPTY = Buffer.alloc(0);
const VERSION_RE = /^SIP\/\d+\.\d+$/i;

interface HeadResult {
  headers: HeaderField[];
  /** Every Content-Length value seen (normally one). */
  contentLengths: string[] | undefined;
  error: SipParseError | undefined;
}

/** Parse one SIP message. Throws SipParseError (with `partial` for requests) on bad input. */
export function parseMessage(buf: Buffer, opts?: ParseOptions): SipRequest | SipResponse {
  const datagram = opts?.datagram === true;
  // RFC 3261 §7.5: CRLFs before the start line (keep-alives) are ignored.
  let start = 0;
  while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start >= buf.length) throw new SipParseError('empty message');

  let headEnd = buf.indexOf(CRLFCRLF, start);
  let bodyStart: number;
  let noBlankLine = false;
  if (headEnd >= 0) bodyStart = headEnd + 4;
  else {
    // Bare-LF messages are not SIP, but accepting them costs nothing and helps hand-written tests.
    headEnd = buf.indexOf(LFLF, start);
    if (headEnd >= 0) bodyStart = headEnd + 2;
    else {
      noBlankLine = true;
      headEnd = buf.length;
      bodyStart = buf.length;
    }
  }
  const head = buf.toString('utf8', start, headEnd);
  let lineEnd = head.indexOf('\n');
  if (lineEnd < 0) lineEnd = head.length;
  const startLine = head.charCodeAt(lineEnd - 1) === 13 ? head.slice(0, lineEnd - 1) : head.slice(0, lineEnd);
  const hr = parseHeaderLines(head, lineEnd + 1);

  const sp = startLine.indexOf(' ');
  const first = sp < 0 ? startLine : startLine.slice(0, sp);
  // A method is a token, and '/' is not a token character: "SIP/…" can only be a status line.
  if (first.indexOf('/') >= 0) {
    const res = parseStatusLine(startLine, sp, first, hr.headers);
    if (hr.error) throw hr.error;
    if (noBlankLine) throw new SipParseError('no empty line after the headers');
    res.body = takeBody(buf, bodyStart, hr.contentLengths, datagram, undefined);
    return res;
  }
  const req = parseRequestLine(startLine, hr.headers);
  if (hr.error) throw withPartial(hr.error, req);
  if (noBlankLine) throw withPartial(new SipParseError('no empty line after the headers'), req);
  req.body = takeBody(buf, bodyStart, hr.contentLengths, datagram, req);
  return req;
}

function withPartial(e: SipParseError, req: SipRequest): SipParseError {
  e.partial ??= req;
  return e;
}

/**
 * Request-Line = Method SP Request-URI SP SIP-Version (§7.1). Extra SP between or after the
 * elements (RFC 4475 §3.1.2.9, §3.1.2.10) is tolerated: we never forward the line as
 * received, we rebuild it with single SPs. LWS inside the Request-URI (§3.1.2.8) shows up
 * as a fourth element and is a 400.
 */
function parseRequestLine(line: string, headers: HeaderField[]): SipRequest {
  const parts = line.split(' ').filter((p) => p !== '');
  const method = parts[0] ?? '';
  const uri = parts[1] ?? '';
  const req = new SipRequest(method, uri, headers, EMPTY);
  if (parts.length !== 3) {
    throw new SipParseError(`malformed Request-Line "${line.slice(0, 100)}"`, 400, false, req);
  }
  if (!isToken(method)) throw new SipParseError(`method "${method.slice(0, 40)}" is not a token`, 400, false, req);
  const version = parts[2];
  if (version !== 'SIP/2.0' && version.toUpperCase() !== 'SIP/2.0') {
    // A well-formed but other version gets 505 (RFC 3261 §21.5.6, RFC 4475 §3.1.2.16).
    if (VERSION_RE.test(version)) throw new SipParseError(`SIP version ${version} not supported`, 505, false, req);
    throw new SipParseError(`malformed SIP-Version "${version.slice(0, 20)}"`, 400, false, req);
  }
  return req;
}

/** Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (§7.2); an empty reason is fine. */
function parseStatusLine(line: string, sp: number, version: string, headers: HeaderField[]): SipResponse {
  if (version.toUpperCase() !== 'SIP/2.0') {
    throw new SipParseError(`SIP version ${version.slice(0, 20)} not supported`, VERSION_RE.test(version) ? 505 : 400);
  }
  if (sp < 0) throw new SipParseError('status line without a status code');
  let cs = sp + 1;
  while (cs < line.length && line.charCodeAt(cs) === 32) cs++;
  let ce = line.indexOf(' ', cs);
  if (ce < 0) ce = line.length;
  const code = line.slice(cs, ce);
  // Status-Code is exactly 3 digits; RFC 4475 §3.1.2.19 sends 4294967301.
  if (code.length !== 3 || !/^\d{3}$/.test(code) || code < '100' || code > '699') {
    throw new SipParseError(`bad status code "${code.slice(0, 20)}"`);
  }
  const reason = ce < line.length ? trimLws(line.slice(ce + 1)) : '';
  return new SipResponse(Number(code), reason, headers, EMPTY);
}

/**
 * message-header = field-name HCOLON field-value, HCOLON = *( SP / HTAB ) ":" SWS (§7.3.1).
 * A line starting with SP/HTAB continues the previous value; the fold becomes one SP.
 * On a broken line the scan goes on, so a partial request still has its Via/From/To/CSeq.
 */
function parseHeaderLines(head: string, pos: number): HeadResult {
  const headers: HeaderField[] = [];
  const r: HeadResult = { headers, contentLengths: undefined, error: undefined };
  const len = head.length;
  let name: string | undefined;
  let value = '';
  while (pos < len) {
    let nl = head.indexOf('\n', pos);
    if (nl < 0) nl = len;
    const end = nl > pos && head.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    if (isWs(head.charCodeAt(pos))) {
      if (name === undefined) r.error ??= new SipParseError('continuation line without a header');
      // §7.3.1: the fold and the whitespace around it become one SP.
      else value = `${trimLws(value)} ${trimLws(head.slice(pos, end))}`;
    } else {
      if (name !== undefined) pushHeader(r, name, value);
      name = undefined;
      const colon = head.indexOf(':', pos);
      if (colon < 0 || colon >= end) {
        r.error ??= new SipParseError(`header line without colon: "${head.slice(pos, Math.min(end, pos + 40))}"`);
      } else {
        let ne = colon;
        while (ne > pos && isWs(head.charCodeAt(ne - 1))) ne--;
        const raw = head.slice(pos, ne);
        if (!isToken(raw)) r.error ??= new SipParseError(`bad header name "${raw.slice(0, 40)}"`);
        else {
          name = normalizeHeaderName(raw);
          value = head.slice(colon + 1, end);
        }
      }
    }
    pos = nl + 1;
  }
  if (name !== undefined) pushHeader(r, name, value);
  return r;
}

// Not a closure inside parseHeaderLines: per-call closures cost an allocation each (and
// tsx's keepNames wraps each one in a defineProperty call).
function pushHeader(r: HeadResult, name: string, value: string): void {
  const v = trimLws(value);
  r.headers.push({ name, value: v });
  if (name === 'content-length') (r.contentLengths ??= []).push(v);
}

/**
 * Body by Content-Length (§18.3, §20.14). Datagram: trailing octets are discarded and no
 * Content-Length means the rest of the datagram. A Content-Length larger than what is
 * there (RFC 4475 §3.1.2.2), negative or non-numeric (§3.1.2.3), or several differing
 * values (§3.3.9) is a 400, and for a stream the framing is lost.
 */
function takeBody(
  buf: Buffer, bodyStart: number, cls: string[] | undefined, datagram: boolean, req: SipRequest | undefined,
): Buffer {
  if (cls === undefined) return bodyStart >= buf.length ? EMPTY : Buffer.from(buf.subarray(bodyStart));
  const cl = cls[0];
  for (let k = 1; k < cls.length; k++) if (cls[k] !== cl) throw framingError('several differing Content-Length values', datagram, req);
  if (!/^\d{1,10}$/.test(cl)) throw framingError(`bad Content-Length "${cl.slice(0, 20)}"`, datagram, req);
  const n = Number(cl);
  if (bodyStart + n > buf.length) throw framingError(`Content-Length ${n} exceeds the ${buf.length - bodyStart} octets present`, datagram, req);
  if (n === 0) return EMPTY;
  // A copy, so that the message never pins (or sees reuse of) the transport's receive buffer.
  return Buffer.from(buf.subarray(bodyStart, bodyStart + n));
}

function framingError(why: string, datagram: boolean, req: SipRequest | undefined): SipParseError {
  return new SipParseError(why, 400, !datagram, req);
}
