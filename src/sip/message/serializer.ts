// SipMessage → bytes (RFC 3261 §7). Headers go out in stored order with canonical names,
// one line each (never folded), CRLF endings. Content-Length is always written and always
// matches the body: RFC 3261 §18.3/§20.14 make it mandatory on streams, and a stale value
// copied from another message would break framing downstream.
import { canonicalHeaderName } from './header-names.ts';
import type { SipMessage, SipResponse } from './sip-message.ts';

const CRLF_RE = /[\r\n]/;

/** Serialize a request or response. Throws Error if a header value contains CR or LF. */
export function serialize(msg: SipMessage): Buffer {
  const body = msg.body;
  let head: string;
  if (msg.isRequest()) head = `${msg.method} ${msg.uri} SIP/2.0\r\n`;
  else {
    const res = msg as SipResponse;
    head = `SIP/2.0 ${res.status} ${res.reason}\r\n`;
  }
  if (CRLF_RE.test(head.slice(0, -2))) throw new Error('start line contains CR or LF');
  let wroteLength = false;
  for (const h of msg.headers) {
    if (h.name === 'content-length') {
      // Only one, in the place the first one stood, so a parsed message round-trips.
      if (!wroteLength) head += `Content-Length: ${body.length}\r\n`;
      wroteLength = true;
      continue;
    }
    // Header injection guard: a value with CR/LF would smuggle extra header lines.
    if (CRLF_RE.test(h.value)) throw new Error(`header ${h.name} contains CR or LF`);
    head += `${canonicalHeaderName(h.name)}: ${h.value}\r\n`;
  }
  if (!wroteLength) head += `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  const headLen = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLen + body.length);
  out.write(head, 0, headLen, 'utf8');
  body.copy(out, headLen);
  return out;
}
