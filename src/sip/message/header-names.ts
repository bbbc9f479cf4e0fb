// Header names: compact forms (RFC 3261 §7.3.3 and later RFCs) and canonical spelling for
// serialization. Inside the stack a header is known by its lower-case long name.

const COMPACT: Record<string, string> = {
  i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type',
  f: 'from', s: 'subject', k: 'supported', t: 'to', v: 'via',
  r: 'refer-to', b: 'referred-by', o: 'event', u: 'allow-events', x: 'session-expires',
  a: 'accept-contact', j: 'reject-contact', d: 'request-disposition', y: 'identity', n: 'identity-info',
};

const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID', cseq: 'CSeq', 'www-authenticate': 'WWW-Authenticate', 'mime-version': 'MIME-Version',
  rack: 'RAck', rseq: 'RSeq', 'content-id': 'Content-ID', 'p-asserted-identity': 'P-Asserted-Identity',
  'p-preferred-identity': 'P-Preferred-Identity',
};

/** Lower-case long form of a header name as found on the wire. */
export function normalizeHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
}

const canonicalCache = new Map<string, string>();

/** Spelling used when we write a header: `via` → `Via`, `call-id` → `Call-ID`. */
export function canonicalHeaderName(name: string): string {
  let c = canonicalCache.get(name);
  if (c === undefined) {
    c = CANONICAL[name] ?? name.replace(/(^|-)([a-z])/g, (_m, d: string, ch: string) => d + ch.toUpperCase());
    if (canonicalCache.size < 1000) canonicalCache.set(name, c);
  }
  return c;
}

/**
 * Headers whose values are comma-separated lists (RFC 3261 §7.3.1). Only these may be
 * split on commas; the others (e.g. WWW-Authenticate, Date) keep commas inside.
 */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  'via', 'contact', 'route', 'record-route', 'allow', 'supported', 'require', 'proxy-require',
  'unsupported', 'accept', 'accept-encoding', 'accept-language', 'content-encoding', 'allow-events',
  'in-reply-to', 'alert-info', 'call-info', 'error-info', 'warning', 'path', 'service-route',
  'security-client', 'security-server', 'security-verify', 'p-asserted-identity', 'reason',
]);
