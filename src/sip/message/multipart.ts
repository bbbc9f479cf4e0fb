// multipart/* bodies (RFC 2046 §5.1, RFC 5621 for SIP), so that the SDP can be pulled out of
// e.g. an INVITE carrying SDP plus ISUP or a location object. Works on Buffers end to end:
// parts may hold binary octets (RFC 4475 §3.1.1.11), and a CRLF inside a part is content.
//
//   preamble CRLF
//   --boundary [padding] CRLF  part-headers CRLF CRLF  part-body
//   CRLF --boundary [padding] CRLF  …
//   CRLF --boundary-- epilogue
import { trimLws } from './chars.ts';
import { parseParams } from './params.ts';
import type { HeaderField } from './types.ts';
import { SipParseError } from './types.ts';

export interface MimePart {
  /** Part headers in order; names lower-cased, values unfolded and trimmed. */
  headers: HeaderField[];
  body: Buffer;
}

/** Split a multipart body. Throws SipParseError(400) when there is no boundary or no closing delimiter. */
export function parseMultipart(body: Buffer, contentType: string): MimePart[] {
  const boundary = boundaryOf(contentType);
  const delim = Buffer.from(`--${boundary}`, 'utf8');
  const lfDelim = Buffer.from(`\n--${boundary}`, 'utf8');
  // The first delimiter may start the body; later ones always follow a line break.
  let pos = 0;
  if (!body.subarray(0, delim.length).equals(delim)) {
    const lf = body.indexOf(lfDelim);
    if (lf < 0) throw new SipParseError('multipart body without its boundary');
    pos = lf + 1;
  }
  const parts: MimePart[] = [];
  for (;;) {
    const after = pos + delim.length;
    if (body[after] === 45 && body[after + 1] === 45) return parts; // close-delimiter
    const nl = body.indexOf(10, after);
    if (nl < 0) throw new SipParseError('multipart delimiter line not terminated');
    const partStart = nl + 1;
    const next = body.indexOf(lfDelim, Math.max(partStart - 1, after));
    if (next < 0) throw new SipParseError('multipart body without closing delimiter');
    const partEnd = Math.max(partStart, next > 0 && body[next - 1] === 13 ? next - 1 : next);
    parts.push(parsePart(body.subarray(partStart, partEnd)));
    pos = next + 1;
  }
}

function boundaryOf(contentType: string): string {
  const semi = contentType.indexOf(';');
  if (semi < 0) throw new SipParseError('multipart Content-Type without boundary');
  const b = parseParams(contentType, semi, new Map(), 'Content-Type').get('boundary');
  if (!b) throw new SipParseError('multipart Content-Type without boundary');
  return b.charCodeAt(0) === 34 ? b.slice(1, -1) : b;
}

function parsePart(part: Buffer): MimePart {
  // A part starting with a line break has no headers (RFC 2046 §5.1.1: defaults apply).
  let headEnd: number;
  let bodyStart: number;
  if (part[0] === 13 && part[1] === 10) [headEnd, bodyStart] = [0, 2];
  else if (part[0] === 10) [headEnd, bodyStart] = [0, 1];
  else {
    headEnd = part.indexOf('\r\n\r\n');
    bodyStart = headEnd + 4;
    if (headEnd < 0) {
      headEnd = part.indexOf('\n\n');
      bodyStart = headEnd + 2;
    }
    if (headEnd < 0) throw new SipParseError('multipart part without an empty line after its headers');
  }
  const headers: HeaderField[] = [];
  for (const line of part.toString('utf8', 0, headEnd).split(/\r?\n/)) {
    if (line === '') continue;
    if (line[0] === ' ' || line[0] === '\t') {
      const last = headers[headers.length - 1];
      if (!last) throw new SipParseError('multipart part header continuation without a header');
      last.value = trimLws(`${last.value} ${trimLws(line)}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError('multipart part header without colon');
    headers.push({ name: trimLws(line.slice(0, colon)).toLowerCase(), value: trimLws(line.slice(colon + 1)) });
  }
  return { headers, body: part.subarray(bodyStart) };
}

/**
 * The body of the first part whose Content-Type is `mediaType` (e.g. application/sdp), or of
 * the message itself when it is not multipart. undefined when there is none.
 */
export function findBodyPart(body: Buffer, contentType: string | undefined, mediaType: string): Buffer | undefined {
  if (contentType === undefined) return undefined;
  const want = mediaType.toLowerCase();
  const type = trimLws(contentType.split(';')[0]).toLowerCase();
  if (type === want) return body;
  if (!type.startsWith('multipart/')) return undefined;
  for (const p of parseMultipart(body, contentType)) {
    const ct = p.headers.find((h) => h.name === 'content-type')?.value;
    const found = findBodyPart(p.body, ct, mediaType);
    if (found) return found;
  }
  return undefined;
}
