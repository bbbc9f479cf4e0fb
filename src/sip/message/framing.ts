// Cutting messages out of a byte stream (TCP, TLS) by Content-Length (RFC 3261 §18.3).
// A helper for stream transports; parseMessage then parses what it cuts out. It reads only
// the header names it needs, so calling it on every chunk that arrives stays cheap.
import { SipParseError } from './types.ts';

export interface Frame {
  /** Leading CRLF octets before the message (RFC 5626 §4.4.1 keep-alives): consume and ignore. */
  skip: number;
  /** Length of the message after `skip`, headers and body. */
  length: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CL_RE = /\r\n(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)/gi;

/**
 * The first complete message in `buf`, or undefined if more octets are needed. A message
 * without Content-Length is taken to have no body. Throws SipParseError with
 * `fatalFraming` when Content-Length is unusable (RFC 4475 §3.1.2.3, §3.3.9): the stream
 * cannot be resynchronised and the connection must be closed.
 */
export function frameStream(buf: Buffer): Frame | undefined {
  let skip = 0;
  while (skip < buf.length && (buf[skip] === 13 || buf[skip] === 10)) skip++;
  if (skip >= buf.length) return undefined;
  const headEnd = buf.indexOf(CRLFCRLF, skip);
  if (headEnd < 0) return undefined;
  const head = buf.toString('latin1', skip, headEnd + 2);
  let cl: string | undefined;
  for (const m of head.matchAll(CL_RE)) {
    const v = m[1].trim();
    if (cl !== undefined && v !== cl) throw new SipParseError('several differing Content-Length values', 400, true);
    cl = v;
  }
  let bodyLen = 0;
  if (cl !== undefined) {
    if (!/^\d{1,10}$/.test(cl)) throw new SipParseError(`bad Content-Length "${cl.slice(0, 20)}"`, 400, true);
    bodyLen = Number(cl);
  }
  const end = headEnd + 4 + bodyLen;
  if (end > buf.length) return undefined;
  return { skip, length: end - skip };
}
