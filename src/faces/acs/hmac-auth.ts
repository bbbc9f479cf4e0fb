// Verifies the HMAC-SHA256 scheme the ACS SDKs sign every data-plane request with when they
// are given a connection string (vendor-apis.md A.10, the SDK's
// createCommunicationAccessKeyCredentialPolicy):
//
//   stringToSign = VERB \n pathAndQuery \n x-ms-date;host;x-ms-content-sha256
//   Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<b64>
//
// The header carries no key id, so the signature is checked against candidate keys (several
// per application so a key can be rotated without downtime; which keys, in which order, is
// ./acs-key-matcher.ts's business), the body hash against the raw body, and the date against a
// clock-skew window. It never says which part failed beyond a code:
// an attacker learns nothing from the difference.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type HmacFailure = 'MISSING' | 'MALFORMED' | 'STALE_DATE' | 'BODY_HASH_MISMATCH' | 'BAD_SIGNATURE';

export interface SignedRequest {
  method: string;
  /** Path and query exactly as sent (request.url). */
  pathAndQuery: string;
  /** Lower-case header names. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The raw body bytes ('' or empty when none). */
  body: Buffer | string;
}

export interface HmacCheck {
  /** "Now", ms. */
  now: number;
  /** Accepted |now − x-ms-date|; default 300000 ms (5 minutes, as Azure's). */
  maxSkewMs?: number;
}

const AUTH_RE = /^HMAC-SHA256\s+SignedHeaders=([^&]+)&Signature=(.+)$/i;

/** base64(SHA-256(body)). */
export function contentHash(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('base64');
}

/** The signature the SDK computes for these parts with a base64 access key. */
export function computeHmacSignature(base64Key: string, verb: string, pathAndQuery: string, date: string, host: string, bodyHash: string): string {
  const toSign = `${verb.toUpperCase()}\n${pathAndQuery}\n${date};${host};${bodyHash}`;
  return createHmac('sha256', Buffer.from(base64Key, 'base64')).update(toSign, 'utf8').digest('base64');
}

function header(h: SignedRequest['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The signed parts of a request whose headers, date and body hash passed: what a key is tried against. */
export interface SignedParts {
  method: string;
  pathAndQuery: string;
  date: string;
  host: string;
  bodyHash: string;
  /** The base64 signature the client sent. */
  signature: string;
}

/**
 * Everything but the key: the headers are present and well-formed, the date is within the skew
 * window, the body hash matches the raw body. Costs one SHA-256 of the body and no HMAC. The
 * host is the one the client signed: `x-ms-host` when present (the SDK sets it for recording
 * downloads), else `Host` — so a reverse proxy must preserve Host.
 */
export function parseSignedRequest(req: SignedRequest, check: HmacCheck): { ok: true; parts: SignedParts } | { ok: false; failure: HmacFailure } {
  const auth = header(req.headers, 'authorization');
  const date = header(req.headers, 'x-ms-date') ?? header(req.headers, 'date');
  const sentHash = header(req.headers, 'x-ms-content-sha256');
  const host = header(req.headers, 'x-ms-host') ?? header(req.headers, 'host');
  if (!auth || !date || !sentHash || !host) return { ok: false, failure: 'MISSING' };
  const m = AUTH_RE.exec(auth.trim());
  if (!m || m[1].toLowerCase() !== 'x-ms-date;host;x-ms-content-sha256') return { ok: false, failure: 'MALFORMED' };
  const at = Date.parse(date);
  if (Number.isNaN(at)) return { ok: false, failure: 'MALFORMED' };
  if (Math.abs(check.now - at) > (check.maxSkewMs ?? 300_000)) return { ok: false, failure: 'STALE_DATE' };
  if (!safeEqual(contentHash(req.body), sentHash)) return { ok: false, failure: 'BODY_HASH_MISMATCH' };
  return { ok: true, parts: { method: req.method, pathAndQuery: req.pathAndQuery, date, host, bodyHash: sentHash, signature: m[2].trim() } };
}

/** Whether `base64Key` made the signature: one HMAC, compared in constant time. */
export function signedWith(parts: SignedParts, base64Key: string): boolean {
  return safeEqual(computeHmacSignature(base64Key, parts.method, parts.pathAndQuery, parts.date, parts.host, parts.bodyHash), parts.signature);
}

/**
 * Which of `keys` (base64) signed the request: its index, or a failure code. Tries every key
 * in order (one HMAC each); the face narrows the keys first (./acs-key-matcher.ts).
 */
export function verifyHmac(req: SignedRequest, keys: readonly string[], check: HmacCheck): { ok: true; keyIndex: number } | { ok: false; failure: HmacFailure } {
  const r = parseSignedRequest(req, check);
  if (!r.ok) return r;
  for (let i = 0; i < keys.length; i++) {
    if (signedWith(r.parts, keys[i])) return { ok: true, keyIndex: i };
  }
  return { ok: false, failure: 'BAD_SIGNATURE' };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
