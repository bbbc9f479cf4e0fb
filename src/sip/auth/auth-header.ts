// Parsing and formatting of the four SIP authentication headers: WWW-Authenticate,
// Proxy-Authenticate (challenges) and Authorization, Proxy-Authorization (credentials).
// Grammar: RFC 3261 §25.1 (challenge, credentials, auth-param, quoted-string with
// quoted-pair escapes), RFC 7616 §3.3/§3.4 for the Digest parameters.
//
//   challenge    = auth-scheme LWS auth-param *(COMMA auth-param)
//   auth-param   = auth-param-name EQUAL ( token / quoted-string )
//   quoted-string= SWS DQUOTE *(qdtext / quoted-pair) DQUOTE     ; quoted-pair = "\" CHAR
//
// One header line may carry several challenges (HTTP style, RFC 7235 §4.1); a new one starts
// where, after a comma, a token is followed by whitespace and not by "=". Unknown schemes are
// parsed like any other and reported by name, so callers can ignore them (RFC 4475 regaut01).
// Parsing never throws on unknown parameters; it throws AuthHeaderError on broken syntax.

/** One challenge or one set of credentials. */
export interface AuthValue {
  /** Scheme as written ("Digest", "NoOneKnowsThisScheme"); compare case-insensitively. */
  scheme: string;
  /** auth-params with lower-cased names and unquoted, unescaped values. */
  params: Map<string, string>;
  /** A token68 blob instead of params (RFC 7235 §2.1, e.g. Basic/Bearer); rare in SIP. */
  token68?: string;
}

/** Broken syntax in an authentication header: answer with 400. */
export class AuthHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthHeaderError';
  }
}

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/;
const AUTH_PARAM_START = /^[A-Za-z0-9\-.!%*_+`'~]+[ \t]*=[ \t]*["A-Za-z0-9\-.!%*_+`'~]/;

function skipWs(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\r' || s[i] === '\n')) i++;
  return i;
}

/** Reads a quoted-string starting at the opening quote; returns the value and the index after it. */
function readQuoted(s: string, i: number): [string, number] {
  let out = '';
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') {
      if (j + 1 >= s.length) break;
      out += s[++j];
    } else if (c === '"') return [out, j + 1];
    else out += c;
  }
  throw new AuthHeaderError('unterminated quoted-string');
}

/** Parse one header value into its challenges or credentials (usually exactly one). */
export function parseAuthValues(value: string): AuthValue[] {
  const out: AuthValue[] = [];
  let i = skipWs(value, 0);
  let cur: AuthValue | undefined;
  while (i < value.length) {
    const m = TOKEN.exec(value.slice(i));
    if (!m) throw new AuthHeaderError(`unexpected character ${JSON.stringify(value[i])} at ${i}`);
    const word = m[0];
    let j = skipWs(value, i + word.length);
    if (cur === undefined || value[j] !== '=') {
      // A scheme (first word, or a token followed by whitespace and no "=" after a comma).
      cur = { scheme: word, params: new Map() };
      out.push(cur);
      i = j;
      if (i >= value.length) break;
      if (value[i] === ',') {
        i = skipWs(value, i + 1);
        continue;
      }
      const rest = value.slice(i);
      if (AUTH_PARAM_START.test(rest)) continue;
      const t = TOKEN68.exec(rest);
      const after = t ? skipWs(value, i + t[0].length) : i;
      if (!t || (after < value.length && value[after] !== ',')) {
        throw new AuthHeaderError(`unexpected text after scheme ${word}`);
      }
      cur.token68 = t[0];
      i = after < value.length ? skipWs(value, after + 1) : after;
      continue;
    }
    // auth-param = name EQUAL (token / quoted-string)
    j = skipWs(value, j + 1);
    let v: string;
    if (value[j] === '"') [v, j] = readQuoted(value, j);
    else {
      const t = TOKEN.exec(value.slice(j));
      if (!t) throw new AuthHeaderError(`missing value for ${word}`);
      v = t[0];
      j += v.length;
    }
    const name = word.toLowerCase();
    // RFC 7616 §3.4: each directive at most once; a duplicate is a client bug worth a 400.
    if (cur.params.has(name)) throw new AuthHeaderError(`duplicate parameter ${name}`);
    cur.params.set(name, v);
    j = skipWs(value, j);
    if (j < value.length) {
      if (value[j] !== ',') throw new AuthHeaderError(`expected "," at ${j}`);
      j = skipWs(value, j + 1);
    }
    i = j;
  }
  if (out.length === 0) throw new AuthHeaderError('empty authentication header');
  return out;
}

/** One parameter to write; `quoted` decides between token and quoted-string form. */
export interface AuthParam {
  name: string;
  value: string;
  quoted: boolean;
}

/** Quote a string per RFC 3261 §25.1 (escape `"` and `\`). */
export function quote(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Format `Scheme name=value, name="value"` in the given order. */
export function formatAuthValue(scheme: string, params: readonly AuthParam[]): string {
  return `${scheme} ${params.map((p) => `${p.name}=${p.quoted ? quote(p.value) : p.value}`).join(', ')}`;
}
