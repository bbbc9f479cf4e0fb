// One Via value (RFC 3261 §20.42, §25.1; rport from RFC 3581 §3).
//
//   SIP / 2.0 / UDP  host.example.com:5060 ;branch=z9hG4bK776 ;received=192.0.2.1 ;rport
//   \_____________/  \__________________/  \___________________________________________/
//   sent-protocol         sent-by                         via-params
//
// LWS is allowed around each SLASH and COLON (RFC 4475 §3.1.1.1 exercises it).
import * as chars_ from './chars.ts';
import * as params_ from './params.ts';
import type { Via } from './types.ts';
import { SipParseError } from './types.ts';

// Imported functions are bound to local consts once: under tsx's CommonJS interop each use
// of an imported binding is a getter call, which on the per-message path cost more than the
// parsing itself (measured with bench/sip-parser.bench.ts).
const { isTokenChar, isWs, skipWs } = chars_;
const { formatParams, parseParams } = params_;

function bad(s: string, why: string): SipParseError {
  return new SipParseError(`bad Via "${s.length > 80 ? `${s.slice(0, 80)}…` : s}": ${why}`);
}

function readToken(s: string, i: number): number {
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

export function parseVia(s: string): Via {
  let i = skipWs(s, 0);
  const parts: string[] = [];
  // Fast path: nearly every Via on the wire starts "SIP/2.0/"; LWS-laden ones take the loop.
  if (s.startsWith('SIP/2.0/', i)) {
    parts.push('SIP', '2.0');
    i += 7; // the loop below reads the third '/'
  }
  for (let k = parts.length; k < 3; k++) {
    if (k > 0) {
      if (s.charCodeAt(i) !== 47) throw bad(s, 'expected / in sent-protocol');
      i = skipWs(s, i + 1);
    }
    const e = readToken(s, i);
    if (e === i) throw bad(s, 'empty sent-protocol element');
    parts.push(s.slice(i, e));
    i = k < 2 ? skipWs(s, e) : e;
  }
  if (i >= s.length || !isWs(s.charCodeAt(i))) throw bad(s, 'no LWS before sent-by');
  i = skipWs(s, i);
  let host: string;
  if (s.charCodeAt(i) === 91) {
    const rb = s.indexOf(']', i);
    if (rb < 0) throw bad(s, 'unterminated IPv6 reference');
    host = s.slice(i, rb + 1);
    if (!/^\[[0-9A-Fa-f:.]+\]$/.test(host)) throw bad(s, 'invalid IPv6 reference');
    i = rb + 1;
  } else {
    const hs = i;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46 || c === 95)) break;
      i++;
    }
    if (i === hs) throw bad(s, 'empty sent-by host');
    host = s.slice(hs, i);
  }
  const via: Via = {
    protocol: parts[0] === 'SIP' && parts[1] === '2.0' ? 'SIP/2.0' : `${parts[0]}/${parts[1]}`.toUpperCase(),
    transport: parts[2].toUpperCase(),
    host: host.toLowerCase(),
    params: new Map(),
  };
  i = skipWs(s, i);
  if (s.charCodeAt(i) === 58) {
    i = skipWs(s, i + 1);
    const ps = i;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    const port = Number(s.slice(ps, i));
    if (i === ps || i - ps > 5 || port > 65535) throw bad(s, 'invalid port');
    via.port = port;
  }
  parseParams(s, i, via.params, 'Via');
  const branch = via.params.get('branch');
  if (branch !== undefined) {
    if (branch === null) throw bad(s, 'branch without value');
    via.branch = branch;
  }
  const received = via.params.get('received');
  if (typeof received === 'string') via.received = received;
  if (via.params.has('rport')) {
    const rport = via.params.get('rport');
    if (rport === null || rport === undefined) via.rport = null;
    else if (/^\d{1,5}$/.test(rport) && Number(rport) <= 65535) via.rport = Number(rport);
    else throw bad(s, 'invalid rport');
  }
  return via;
}

/** `SIP/2.0/UDP host:port;params`; the branch/received/rport fields win over `params`. */
export function formatVia(v: Via): string {
  const params = new Map(v.params);
  if (v.branch !== undefined) params.set('branch', v.branch);
  if (v.received !== undefined) params.set('received', v.received);
  if (v.rport !== undefined) params.set('rport', v.rport === null ? null : String(v.rport));
  return `${v.protocol}/${v.transport} ${v.host}${v.port !== undefined ? `:${v.port}` : ''}${formatParams(params)}`;
}
