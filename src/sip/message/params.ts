// Header parameters: the `;name=value` tails of name-addr, Via and other headers
// (RFC 3261 §25.1 generic-param, with LWS around SEMI and EQUAL as §25.1 allows).
//
//   *( SEMI generic-param )
//   SEMI          = SWS ";" SWS
//   generic-param = token [ EQUAL gen-value ]
//   gen-value     = token / host / quoted-string
//
// Values are kept as written (a quoted-string keeps its quotes) so that formatting
// reproduces them; names are lower-cased because parameter names compare case-insensitively.
import * as chars_ from './chars.ts';
import type { Params } from './types.ts';
import { SipParseError } from './types.ts';

// Imported functions are bound to local consts once: under tsx's CommonJS interop each use
// of an imported binding is a getter call, which on the per-message path cost more than the
// parsing itself (measured with bench/sip-parser.bench.ts).
const { isTokenChar, isWs, readQuoted, skipWs } = chars_;

/**
 * Parse `;a=b;c` starting at `i` into `params`. Anything but a parameter list from `i` on
 * (an empty name as in `;;`, junk after a value) is a SipParseError(400): RFC 4475 §3.1.2.1.
 */
export function parseParams(s: string, i: number, params: Params, what: string): Params {
  const n = s.length;
  for (;;) {
    i = skipWs(s, i);
    if (i >= n) return params;
    if (s.charCodeAt(i) !== 59) throw new SipParseError(`${what}: expected ';' at "${s.slice(i, i + 20)}"`);
    i = skipWs(s, i + 1);
    const nameStart = i;
    while (i < n && isTokenChar(s.charCodeAt(i))) i++;
    if (i === nameStart) throw new SipParseError(`${what}: empty parameter name`);
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipWs(s, i);
    if (i < n && s.charCodeAt(i) === 61) {
      i = skipWs(s, i + 1);
      let value: string;
      if (i < n && s.charCodeAt(i) === 34) {
        const q = readQuoted(s, i);
        if (!q) throw new SipParseError(`${what}: unterminated quoted parameter value`);
        value = s.slice(i, q.end);
        i = q.end;
      } else {
        const vStart = i;
        // token / host: be liberal about which octets (IPv6 brackets, colons), strict about where it ends.
        while (i < n) {
          const c = s.charCodeAt(i);
          if (c === 59 || isWs(c) || c === 44 || c === 34) break;
          i++;
        }
        if (i === vStart) throw new SipParseError(`${what}: parameter "${name}" has an empty value`);
        value = s.slice(vStart, i);
      }
      params.set(name, value);
    } else {
      params.set(name, null);
    }
  }
}

/** `;name=value;flag` for a parameter map (values written as stored). Empty map → ''. */
export function formatParams(p: Params): string {
  let out = '';
  for (const [k, v] of p) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}
