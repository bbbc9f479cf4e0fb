// Webhook signatures: HMAC-SHA256 over `<timestamp>.<raw body>` with each active secret of the
// application, so a receiver can check the body came from us, unchanged, recently. Two
// secrets are active during a rotation (the new one and the previous one), hence one `v1=`
// value per secret; a receiver accepts the request when any value matches any secret it knows.
//
//   Switchboard-Timestamp: 1717171717                         (unix seconds at this attempt)
//   Switchboard-Signature: v1=<hex(HMAC(secret1, ts + "." + body))> v1=<hex(HMAC(secret2, …))>
//
// The timestamp is signed too, so an old request replayed later fails a receiver's freshness
// check (docs/events.md suggests 5 minutes).
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names, in the case we send them. */
export const EVENT_ID_HEADER = 'Switchboard-Event-Id';
export const TIMESTAMP_HEADER = 'Switchboard-Timestamp';
export const SIGNATURE_HEADER = 'Switchboard-Signature';

/** hex HMAC-SHA256(secret, `${timestamp}.${rawBody}`). */
export function computeSignature(secret: string, timestamp: string | number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** The Switchboard-Signature value: one `v1=` per secret, space-separated; '' without secrets. */
export function signatureHeader(secrets: readonly string[], timestamp: string | number, rawBody: string | Buffer): string {
  return secrets.map((s) => `v1=${computeSignature(s, timestamp, rawBody)}`).join(' ');
}

export interface VerifyOptions {
  /** Reject timestamps further than this from `nowSeconds`; default 300 s. */
  toleranceSeconds?: number;
  /** Default: Date.now() / 1000. */
  nowSeconds?: number;
}

/**
 * The receiver's side, for SDKs and tests: true when some `v1=` value in `header` is the
 * signature of (timestamp, rawBody) under some secret, and the timestamp is fresh.
 */
export function verifySignature(
  secrets: readonly string[],
  header: string,
  timestamp: string,
  rawBody: string | Buffer,
  opts: VerifyOptions = {},
): boolean {
  const ts = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || !Number.isSafeInteger(ts)) return false;
  const now = opts.nowSeconds ?? Date.now() / 1000;
  if (Math.abs(now - ts) > (opts.toleranceSeconds ?? 300)) return false;
  const given = header
    .split(/[\s,]+/)
    .filter((p) => p.startsWith('v1='))
    .map((p) => Buffer.from(p.slice(3), 'hex'));
  for (const secret of secrets) {
    const want = Buffer.from(computeSignature(secret, timestamp, rawBody), 'hex');
    for (const g of given) if (g.length === want.length && timingSafeEqual(g, want)) return true;
  }
  return false;
}
