// name-addr / addr-spec values of From, To, Contact, Route, Record-Route, Refer-To …
// (RFC 3261 §20.10, §20.20, §20.39, §25.1).
//
//   "Display \"Name\"" <sip:user@host;uri-param> ;header-param=x     name-addr
//   Display Name <sip:user@host>;tag=1                               name-addr, token display
//   sip:user@host;tag=1                                              addr-spec: ;tag is a
//                                                                    HEADER param (§20.10)
//   *                                                                Contact only (§10.2.2)
import * as chars_ from './chars.ts';
import * as params_ from './params.ts';
import type { NameAddr, Uri } from './types.ts';
import { SipParseError } from './types.ts';
import * as uri_ from './uri.ts';

// Imported functions are bound to local consts once: under tsx's CommonJS interop each use
// of an imported binding is a getter call, which on the per-message path cost more than the
// parsing itself (measured with bench/sip-parser.bench.ts).
const { isTokenChar, isWs, quote, readQuoted, skipWs, trimLws } = chars_;
const { formatParams, parseParams } = params_;
const { formatUri, parseUri } = uri_;

const STAR_URI: Uri = Object.freeze({
  scheme: '', host: '', params: new Map(), headers: new Map(), raw: '*',
}) as Uri;

/** Parse one name-addr or addr-spec (one element of a list; see splitList). */
export function parseNameAddr(input: string): NameAddr {
  const s = trimLws(input);
  if (s === '*') return { uri: STAR_URI, params: new Map(), star: true };
  if (s === '') throw new SipParseError('empty address');
  let displayName: string | undefined;
  let lt: number;
  if (s.charCodeAt(0) === 34) {
    const q = readQuoted(s, 0);
    // RFC 4475 §3.1.2.6: an unbalanced quote is a 400, not something to guess around.
    if (!q) throw new SipParseError('unterminated quoted display name');
    displayName = q.text;
    lt = skipWs(s, q.end);
    if (s.charCodeAt(lt) !== 60) throw new SipParseError('quoted display name not followed by <');
  } else {
    lt = s.indexOf('<');
    if (lt > 0) {
      const dn = trimLws(s.slice(0, lt));
      checkTokenDisplayName(dn);
      if (dn !== '') displayName = dn;
    }
  }
  if (lt >= 0) {
    const gt = s.indexOf('>', lt);
    if (gt < 0) throw new SipParseError('unterminated <');
    // RFC 4475 §3.1.2.14 lets us ignore LWS just inside the brackets; nothing is lost by it.
    const uri = parseUri(trimLws(s.slice(lt + 1, gt)));
    const na: NameAddr = { uri, params: parseParams(s, gt + 1, new Map(), 'address') };
    if (displayName !== undefined) na.displayName = displayName;
    return na;
  }
  // addr-spec: the URI ends at the first ';' and what follows is header params (§20.10).
  const semi = s.indexOf(';');
  const uriText = trimLws(semi < 0 ? s : s.slice(0, semi));
  // §20.10: a URI with ',', '?' or ';' must be in <>; a '?' here (RFC 4475 §3.1.2.13) or a
  // ',' cannot belong to a valid addr-spec.
  if (uriText.includes('?') || uriText.includes(',')) {
    throw new SipParseError('URI with headers or comma must be enclosed in <>');
  }
  const uri = parseUri(uriText);
  return { uri, params: semi < 0 ? new Map() : parseParams(s, semi, new Map(), 'address') };
}

/**
 * display-name = *(token LWS) / quoted-string (§25.1). Octets ≥ 0x80 are let through
 * (UTF-8 names that phones forget to quote); ASCII non-token characters such as the comma
 * in `Bell, Alexander` (RFC 4475 §3.1.2.15) are a 400.
 */
function checkTokenDisplayName(dn: string): void {
  for (let i = 0; i < dn.length; i++) {
    const c = dn.charCodeAt(i);
    if (c >= 128 || isTokenChar(c) || isWs(c)) continue;
    throw new SipParseError(`display name "${dn}" must be quoted`);
  }
}

/** Always the name-addr form (`"Name" <uri>;params`), which is never ambiguous. */
export function formatNameAddr(n: NameAddr): string {
  if (n.star) return '*';
  const dn = n.displayName !== undefined && n.displayName !== '' ? `${quote(n.displayName)} ` : '';
  return `${dn}<${formatUri(n.uri)}>${formatParams(n.params)}`;
}
