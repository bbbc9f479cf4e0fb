// SIP, SIPS and tel URIs: parse into a Uri and format back (RFC 3261 §19.1, §25.1;
// RFC 3966 for tel). Other schemes are kept opaque (RFC 4475 §3.3.2: parse, don't route).
//
//   sip:user:password@host:port;uri-parameters?headers
//   \_/ \__________/ \__/ \__/ \____________/ \_____/
//  scheme  userinfo   host port   params       headers
//
// The user part may itself hold `;` and `?` (RFC 4475 §3.1.1.9), so the userinfo ends at
// the `@`, which no other part of a SIP URI may contain unescaped.
import * as chars_ from './chars.ts';
import type { Params, Uri } from './types.ts';
import { SipParseError } from './types.ts';

// Imported functions are bound to local consts once: under tsx's CommonJS interop each use
// of an imported binding is a getter call, which on the per-message path cost more than the
// parsing itself (measured with bench/sip-parser.bench.ts).
const { escapeHeader, escapeParam, escapePassword, escapeUser, unescapePct } = chars_;

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const HOST_RE = /^[A-Za-z0-9._-]+$/;
const IPV6_RE = /^\[[0-9A-Fa-f:.]+\]$/;

function bad(s: string, why: string): SipParseError {
  return new SipParseError(`bad URI "${s.length > 80 ? `${s.slice(0, 80)}…` : s}": ${why}`);
}

/** Parse a URI. Malformed sip/sips/tel → SipParseError(400); unknown schemes are kept raw. */
export function parseUri(s: string): Uri {
  const colon = s.indexOf(':');
  if (colon <= 0) throw bad(s, 'no scheme');
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) <= 32) throw bad(s, 'contains whitespace or control characters');
  // Fast path for the common case; the regex and lower-casing only for anything else.
  let scheme: string;
  if (colon === 3 && (s.charCodeAt(0) | 32) === 115 && (s.charCodeAt(1) | 32) === 105 && (s.charCodeAt(2) | 32) === 112) {
    scheme = 'sip';
  } else {
    const schemeRaw = s.slice(0, colon);
    if (!SCHEME_RE.test(schemeRaw)) throw bad(s, 'invalid scheme');
    scheme = schemeRaw.toLowerCase();
  }
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(s, scheme, colon + 1);
  if (scheme === 'tel') return parseTelUri(s, colon + 1);
  return { scheme, host: '', params: new Map(), headers: new Map(), raw: s };
}

function parseSipUri(s: string, scheme: string, start: number): Uri {
  const uri: Uri = { scheme, host: '', params: new Map(), headers: new Map(), raw: s };
  let i = start;
  const at = s.indexOf('@', start);
  if (at >= 0) {
    const userinfo = s.slice(start, at);
    const pc = userinfo.indexOf(':');
    const user = pc < 0 ? userinfo : userinfo.slice(0, pc);
    if (user === '') throw bad(s, 'empty user');
    uri.user = unescapePct(user);
    if (pc >= 0) uri.password = unescapePct(userinfo.slice(pc + 1));
    i = at + 1;
  }
  // hostport ends at the first ';' (params) or '?' (headers).
  let end = i;
  while (end < s.length) {
    const c = s.charCodeAt(end);
    if (c === 59 || c === 63) break;
    end++;
  }
  parseHostPort(s, s.slice(i, end), uri);
  i = end;
  const q = s.indexOf('?', i);
  const paramsEnd = q < 0 ? s.length : q;
  if (i < paramsEnd) parseUriParams(s, s.slice(i + 1, paramsEnd), uri.params);
  if (q >= 0) parseUriHeaders(s, s.slice(q + 1), uri.headers);
  return uri;
}

function parseHostPort(s: string, hp: string, uri: Uri): void {
  let host: string;
  let portStr: string | undefined;
  if (hp.charCodeAt(0) === 91) {
    const rb = hp.indexOf(']');
    if (rb < 0) throw bad(s, 'unterminated IPv6 reference');
    host = hp.slice(0, rb + 1);
    if (!IPV6_RE.test(host)) throw bad(s, 'invalid IPv6 reference');
    const rest = hp.slice(rb + 1);
    if (rest !== '') {
      if (rest.charCodeAt(0) !== 58) throw bad(s, 'junk after IPv6 reference');
      portStr = rest.slice(1);
    }
  } else {
    const pc = hp.indexOf(':');
    host = pc < 0 ? hp : hp.slice(0, pc);
    if (pc >= 0) portStr = hp.slice(pc + 1);
    if (!HOST_RE.test(host)) throw bad(s, host === '' ? 'empty host' : 'invalid host');
  }
  uri.host = host.toLowerCase();
  if (portStr !== undefined) uri.port = parsePort(s, portStr);
}

function parsePort(s: string, p: string): number {
  if (!/^\d{1,5}$/.test(p)) throw bad(s, 'invalid port');
  const n = Number(p);
  if (n > 65535) throw bad(s, 'port out of range');
  return n;
}

/** uri-parameters: names and values unescaped (RFC 3261 §19.1.4 compares them unescaped). */
function parseUriParams(s: string, text: string, params: Params): void {
  for (const part of text.split(';')) {
    if (part === '') throw bad(s, 'empty URI parameter');
    const eq = part.indexOf('=');
    const name = unescapePct(eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    if (name === '') throw bad(s, 'empty URI parameter name');
    params.set(name, eq < 0 ? null : unescapePct(part.slice(eq + 1)));
  }
}

function parseUriHeaders(s: string, text: string, headers: Map<string, string>): void {
  if (text === '') return;
  for (const part of text.split('&')) {
    if (part === '') throw bad(s, 'empty URI header');
    const eq = part.indexOf('=');
    const name = unescapePct(eq < 0 ? part : part.slice(0, eq));
    if (name === '') throw bad(s, 'empty URI header name');
    headers.set(name, eq < 0 ? '' : unescapePct(part.slice(eq + 1)));
  }
}

/** tel:+1-201-555-0123;phone-context=… (RFC 3966 §3): the number goes to `user`. */
function parseTelUri(s: string, start: number): Uri {
  const semi = s.indexOf(';', start);
  const number = s.slice(start, semi < 0 ? s.length : semi);
  if (number === '') throw bad(s, 'empty telephone number');
  const uri: Uri = { scheme: 'tel', user: unescapePct(number), host: '', params: new Map(), headers: new Map(), raw: s };
  if (semi >= 0) parseUriParams(s, s.slice(semi + 1), uri.params);
  return uri;
}

/**
 * Write a Uri from its fields (not from `raw`, so edits show), escaping what needs it.
 * Unknown schemes have no fields to write from: `raw` is returned.
 */
export function formatUri(u: Uri): string {
  if (u.scheme === 'tel') return `tel:${u.user ?? ''}${formatUriParams(u.params)}`;
  if (u.scheme !== 'sip' && u.scheme !== 'sips') return u.raw;
  let out = `${u.scheme}:`;
  if (u.user !== undefined) {
    out += escapeUser(u.user);
    if (u.password !== undefined) out += `:${escapePassword(u.password)}`;
    out += '@';
  }
  out += u.host;
  if (u.port !== undefined) out += `:${u.port}`;
  out += formatUriParams(u.params);
  if (u.headers.size > 0) {
    const hs: string[] = [];
    for (const [k, v] of u.headers) hs.push(`${escapeHeader(k)}=${escapeHeader(v)}`);
    out += `?${hs.join('&')}`;
  }
  return out;
}

function formatUriParams(p: Params): string {
  let out = '';
  for (const [k, v] of p) out += v === null ? `;${escapeParam(k)}` : `;${escapeParam(k)}=${escapeParam(v)}`;
  return out;
}
