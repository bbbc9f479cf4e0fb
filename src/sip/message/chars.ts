// Character classes and %-escaping of the SIP grammar (RFC 3261 §25.1), shared by the
// header parsers and the formatters. Lookup tables, because these run per character.

function table(chars: string, alnum = true): Uint8Array {
  const t = new Uint8Array(128);
  if (alnum) {
    for (let c = 48; c <= 57; c++) t[c] = 1;
    for (let c = 65; c <= 90; c++) t[c] = 1;
    for (let c = 97; c <= 122; c++) t[c] = 1;
  }
  for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  return t;
}

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") — §25.1 */
const TOKEN = table("-.!%*_+`'~");
/** unreserved = alphanum / mark — §25.1 */
const UNRESERVED = "-_.!~*'()";
/** user = 1*( unreserved / escaped / user-unreserved ) — §25.1 */
const USER_SAFE = table(UNRESERVED + '&=+$,;?/');
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) — §25.1 */
const PASSWORD_SAFE = table(UNRESERVED + '&=+$,');
/** paramchar = param-unreserved / unreserved / escaped — §25.1 */
const PARAM_SAFE = table(UNRESERVED + '[]/:&+$');
/** hname / hvalue = *( hnv-unreserved / unreserved / escaped ) — §25.1 */
const HEADER_SAFE = table(UNRESERVED + '[]/?:+$');

export function isTokenChar(c: number): boolean {
  return c < 128 && TOKEN[c] === 1;
}

/** Whether `s` is a non-empty token (methods, header names, parameter names). */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN[c] !== 1) return false;
  }
  return true;
}

export function isWs(c: number): boolean {
  return c === 32 || c === 9;
}

/** Trim SP and HTAB only: String#trim would also eat a BOM or NBSP that is part of a value. */
export function trimLws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWs(s.charCodeAt(a))) a++;
  while (b > a && isWs(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

export function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Undo %HH escapes (RFC 3261 §19.1.2, RFC 3986 §2.1), decoding the octets as UTF-8.
 * A `%` not followed by two hex digits stays literal: RFC 4475 §3.1.1.5 shows it is not an
 * escape there, and refusing the whole message for it would help nobody. `%00` yields U+0000
 * (RFC 4475 §3.1.1.4: never truncate at it).
 */
export function unescapePct(s: string): string {
  if (s.indexOf('%') < 0) return s;
  const b = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(b.length);
  let j = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 37 && i + 2 < b.length) {
      const h = hexVal(b[i + 1]);
      const l = hexVal(b[i + 2]);
      if (h >= 0 && l >= 0) {
        out[j++] = (h << 4) | l;
        i += 2;
        continue;
      }
    }
    out[j++] = c;
  }
  return out.toString('utf8', 0, j);
}

const HEX = '0123456789ABCDEF';

function escapeWith(s: string, safe: Uint8Array): string {
  let clean = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || safe[c] !== 1) {
      clean = false;
      break;
    }
  }
  if (clean) return s;
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    out += byte < 128 && safe[byte] === 1 ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

export const escapeUser = (s: string): string => escapeWith(s, USER_SAFE);
export const escapePassword = (s: string): string => escapeWith(s, PASSWORD_SAFE);
export const escapeParam = (s: string): string => escapeWith(s, PARAM_SAFE);
export const escapeHeader = (s: string): string => escapeWith(s, HEADER_SAFE);

/**
 * Read a quoted-string starting at the opening quote (RFC 3261 §25.1: quoted-pair is
 * "\" followed by any octet but CR/LF). Returns the unescaped text and the index after the
 * closing quote, or undefined when the quote is never closed.
 */
export function readQuoted(s: string, i: number): { text: string; end: number } | undefined {
  let text = '';
  let runStart = i + 1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 92) {
      if (j + 1 >= s.length) return undefined;
      text += s.slice(runStart, j) + s[j + 1];
      j++;
      runStart = j + 1;
    } else if (c === 34) {
      return { text: text + s.slice(runStart, j), end: j + 1 };
    }
  }
  return undefined;
}

/** Quote a display name or parameter value, escaping `"` and `\`. */
export function quote(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}
