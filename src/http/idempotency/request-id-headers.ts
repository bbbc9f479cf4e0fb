// Reads the two ways a client marks a request as safe to retry:
//   - OASIS Repeatable Requests 1.0, as Azure Communication Services applies it:
//     `Repeatability-Request-ID: <GUID>` + `Repeatability-First-Sent: <IMF-fixdate>`, both
//     required together (ACS "Repeatable requests" table: a bad id or date is 400);
//   - `Idempotency-Key: <string>` (draft-ietf-httpapi-idempotency-key-header), unquoted or
//     as a Structured Field string ("…"), 1–255 characters.
// Parsing only: windows, storage and replay live in idempotency-guard.ts.
import type { IncomingHttpHeaders } from 'node:http';

export type RequestIdHeaders =
  | { kind: 'none' }
  | { kind: 'repeatability'; requestId: string; firstSent: number; firstSentRaw: string }
  | { kind: 'idempotency-key'; key: string }
  | { kind: 'invalid'; code: 'REPEATABILITY_HEADERS_INVALID' | 'IDEMPOTENCY_KEY_INVALID'; message: string; repeatability: boolean };

/** Longest accepted Idempotency-Key, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

// A GUID in its usual 8-4-4-4-12 hex form, any version (ACS: "Valid GUID"); braces not accepted.
const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// RFC 7231 §7.1.1.1 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT". The obsolete RFC 850 and
// asctime forms are refused: ACS asks for IMF-fixdate and every SDK sends it.
const IMF_FIXDATE_RE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const PRINTABLE_RE = /^[\x20-\x7e]+$/;

/** Parses an IMF-fixdate into ms since the epoch, or undefined (bad shape, impossible date, wrong weekday). */
export function parseImfFixdate(value: string): number | undefined {
  if (!IMF_FIXDATE_RE.test(value)) return undefined;
  const t = Date.parse(value);
  // Round-tripping rejects 31 Feb, 25:00 and a weekday that does not match the date.
  if (Number.isNaN(t) || new Date(t).toUTCString() !== value) return undefined;
  return t;
}

function single(headers: IncomingHttpHeaders, name: string): string | string[] | undefined {
  const v = headers[name];
  return Array.isArray(v) && v.length === 1 ? v[0] : v;
}

export function readRequestIdHeaders(headers: IncomingHttpHeaders): RequestIdHeaders {
  const id = single(headers, 'repeatability-request-id');
  const sent = single(headers, 'repeatability-first-sent');
  const key = single(headers, 'idempotency-key');

  if (id !== undefined || sent !== undefined) {
    const bad = (message: string): RequestIdHeaders => ({ kind: 'invalid', code: 'REPEATABILITY_HEADERS_INVALID', message, repeatability: true });
    if (key !== undefined) return bad('Send either the Repeatability-* headers or Idempotency-Key, not both.');
    if (id === undefined) return bad('Repeatability-First-Sent needs a Repeatability-Request-ID.');
    if (sent === undefined) return bad('Repeatability-Request-ID needs a Repeatability-First-Sent (IMF-fixdate, UTC).');
    if (typeof id !== 'string' || !GUID_RE.test(id)) return bad('Repeatability-Request-ID must be one GUID.');
    const firstSent = typeof sent === 'string' ? parseImfFixdate(sent) : undefined;
    if (firstSent === undefined) {
      return bad('Repeatability-First-Sent must be one IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".');
    }
    return { kind: 'repeatability', requestId: id.toLowerCase(), firstSent, firstSentRaw: sent as string };
  }

  if (key !== undefined) {
    const bad = (message: string): RequestIdHeaders => ({ kind: 'invalid', code: 'IDEMPOTENCY_KEY_INVALID', message, repeatability: false });
    if (typeof key !== 'string') return bad('Send one Idempotency-Key header.');
    // Structured Field string (draft-ietf-httpapi-idempotency-key-header §2.1) or a bare token.
    const unquoted = key.length >= 2 && key.startsWith('"') && key.endsWith('"') ? key.slice(1, -1) : key;
    if (unquoted.length === 0 || unquoted.length > MAX_IDEMPOTENCY_KEY_LENGTH || !PRINTABLE_RE.test(unquoted)) {
      return bad(`Idempotency-Key must be 1–${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters.`);
    }
    return { kind: 'idempotency-key', key: unquoted };
  }
  return { kind: 'none' };
}
