// Stamping the top Via of a received request with where it really came from, so responses
// find their way back through NATs: RFC 3261 §18.2.1 (`received` when the sent-by host is not
// the packet's source address) and RFC 3581 §4 (`rport` filled with the source port, and then
// `received` always). The header VALUE string is rewritten, so serialization carries it and
// the cached parsed Via is dropped.
//
// Works on the raw string on purpose: it runs on every request, must not depend on the full
// Via parser, and must leave everything it does not change byte-for-byte as received.
import type { SipRequest } from '../message/types-public.ts';

//   sent-protocol              LWS  sent-by            params
//   SIP / 2.0 / UDP            SP   host [ ":" port ]  *( ";" param )
const HEAD_RE = /^\s*[^/\s]+\s*\/\s*[^/\s]+\s*\/\s*[^\s]+\s+(\S.*?)\s*$/;

/** Index of the first `ch` outside a quoted string, or -1. */
function indexOutsideQuotes(s: string, ch: string, from = 0): number {
  let quoted = false;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && quoted) i++;
    else if (c === ch && !quoted) return i;
  }
  return -1;
}

/** sent-by host without brackets or port, lower-cased. */
function sentByHost(sentBy: string): string {
  if (sentBy.startsWith('[')) {
    const close = sentBy.indexOf(']');
    return (close < 0 ? sentBy.slice(1) : sentBy.slice(1, close)).toLowerCase();
  }
  const colon = sentBy.indexOf(':');
  return (colon < 0 ? sentBy : sentBy.slice(0, colon)).trim().toLowerCase();
}

/** `::ffff:1.2.3.4` → `1.2.3.4`: dual-stack sockets report IPv4 peers this way. */
export function plainAddress(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

/**
 * Set `received`/`rport` on the top Via of `req` received from address:port.
 * Returns false (and changes nothing) when there is no top Via it can read.
 */
export function stampVia(req: SipRequest, address: string, port: number): boolean {
  const headers = req.headers;
  let i = 0;
  while (i < headers.length && headers[i].name !== 'via') i++;
  if (i === headers.length) return false;
  const line = headers[i].value;
  const comma = indexOutsideQuotes(line, ',');
  const top = comma < 0 ? line : line.slice(0, comma);
  const semi = indexOutsideQuotes(top, ';');
  const head = semi < 0 ? top : top.slice(0, semi);
  const m = HEAD_RE.exec(head);
  if (!m) return false;
  const host = sentByHost(m[1]);
  const source = plainAddress(address).toLowerCase();

  // Split the parameters, remembering rport and any received already there.
  const params: string[] = [];
  let rport = false;
  if (semi >= 0) {
    let at = semi + 1;
    for (;;) {
      const next = indexOutsideQuotes(top, ';', at);
      const p = (next < 0 ? top.slice(at) : top.slice(at, next)).trim();
      const eq = p.indexOf('=');
      const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
      if (name === 'rport') rport = true;
      if (name !== 'rport' && name !== 'received' && p) params.push(p);
      if (next < 0) break;
      at = next + 1;
    }
  }
  // §18.2.1: received only when the host differs; RFC 3581 §4: always when rport is asked for.
  if (!rport && host === source) return true;
  params.push(`received=${source}`);
  if (rport) params.push(`rport=${port}`);
  const stamped = `${head.trim()};${params.join(';')}`;

  // prepend() inserts before line i and drops the cached Via view; then the original
  // line (now at i+1) keeps only the values after the top one.
  req.prepend('via', stamped);
  if (comma < 0) req.headers.splice(i + 1, 1);
  else req.headers[i + 1] = { name: 'via', value: line.slice(comma + 1).trim() };
  return true;
}
