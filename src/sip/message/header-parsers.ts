// Parsers for the structured header values (URI, name-addr, Via, CSeq), list splitting and
// the matching formatters. The URI, name-addr and Via grammars live in their own files;
// this module is the one place the rest of the stack imports them from.
// Every parser throws SipParseError(400) on malformed input and nothing else.
import * as chars_ from './chars.ts';
import type { CSeq } from './types.ts';
import { SipParseError } from './types.ts';

// Imported functions are bound to local consts once: under tsx's CommonJS interop each use
// of an imported binding is a getter call, which on the per-message path cost more than the
// parsing itself (measured with bench/sip-parser.bench.ts).
const { isTokenChar, isWs, skipWs } = chars_;

export { formatUri, parseUri } from './uri.ts';
export { formatNameAddr, parseNameAddr } from './name-addr.ts';
export { formatVia, parseVia } from './via.ts';
export { formatParams, parseParams } from './params.ts';

/** Largest CSeq sequence number: RFC 3261 §8.1.1.5 "MUST be expressible as a 32-bit unsigned integer". */
export const MAX_CSEQ = 0xffffffff;

/** `CSeq: 0009 INVITE` → { seq: 9, method: 'INVITE' } (RFC 3261 §20.16). */
export function parseCSeq(s: string): CSeq {
  let i = skipWs(s, 0);
  const ds = i;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (i === ds) throw new SipParseError(`bad CSeq "${s}": no sequence number`);
  const digits = s.slice(ds, i).replace(/^0+(?=\d)/, '');
  // RFC 4475 §3.1.2.4: a CSeq over 2^32-1 must be answered with 400.
  if (digits.length > 10 || Number(digits) > MAX_CSEQ) throw new SipParseError(`bad CSeq "${s}": number exceeds 2^32-1`);
  if (i >= s.length || !isWs(s.charCodeAt(i))) throw new SipParseError(`bad CSeq "${s}": no method`);
  i = skipWs(s, i);
  const ms = i;
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  if (i === ms || skipWs(s, i) !== s.length) throw new SipParseError(`bad CSeq "${s}": bad method`);
  return { seq: Number(digits), method: s.slice(ms, i) };
}

/**
 * Split a list header value on commas outside quoted strings and <> (RFC 3261 §7.3.1);
 * elements are trimmed and empty ones dropped.
 */
export function splitList(s: string): string[] {
  if (s.indexOf(',') < 0) {
    const t = s.trim();
    return t === '' ? [] : [t];
  }
  const out: string[] = [];
  let inQuote = false;
  let angle = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inQuote) {
      if (c === 92) i++;
      else if (c === 34) inQuote = false;
    } else if (c === 34) inQuote = true;
    else if (c === 60) angle = true;
    else if (c === 62) angle = false;
    else if (c === 44 && !angle) {
      const t = s.slice(start, i).trim();
      if (t !== '') out.push(t);
      start = i + 1;
    }
  }
  const t = s.slice(start).trim();
  if (t !== '') out.push(t);
  return out;
}
