// The Digest computation shared by server and client (RFC 7616 §3.4.1–§3.4.3, RFC 8760 for
// SIP, RFC 2069 for the no-qop form). Pure functions over strings; no I/O.
//
//   HA1      = H(username ":" realm ":" password)                 (algorithm without -sess)
//   HA1-sess = H(HA1 ":" nonce ":" cnonce)                         (algorithm "<X>-sess")
//   HA2      = H(method ":" digest-uri)                            (qop=auth or no qop)
//   response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)  (qop=auth)
//   response = H(HA1 ":" nonce ":" HA2)                            (no qop, RFC 2069)
//
// qop=auth-int (which hashes the body) is not implemented: SIP deployments do not use it and
// RFC 8760 does not require it; a challenge we send never offers it.
import { createHash } from 'node:crypto';

/** Hash families registered for SIP Digest (RFC 8760 §2.2). */
export type DigestHash = 'MD5' | 'SHA-256' | 'SHA-512-256';
/** Algorithm parameter values, with or without the session variant. */
export type DigestAlgorithm = DigestHash | `${DigestHash}-sess`;

const NODE_HASH: Record<DigestHash, string> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

/** Preference order when a client picks among offered challenges: strongest first. */
export const ALGORITHM_STRENGTH: readonly DigestHash[] = ['SHA-512-256', 'SHA-256', 'MD5'];

/**
 * Normalizes an algorithm parameter. Absent means MD5 (RFC 7616 §3.3); unknown values give
 * undefined so the caller can skip that challenge.
 */
export function parseAlgorithm(raw: string | undefined): { hash: DigestHash; sess: boolean } | undefined {
  if (raw === undefined) return { hash: 'MD5', sess: false };
  const up = raw.toUpperCase();
  const sess = up.endsWith('-SESS');
  const base = sess ? up.slice(0, -5) : up;
  if (base === 'MD5' || base === 'SHA-256' || base === 'SHA-512-256') return { hash: base, sess };
  return undefined;
}

export function digestHash(hash: DigestHash, data: string): string {
  return createHash(NODE_HASH[hash]).update(data, 'utf8').digest('hex');
}

export function computeHa1(hash: DigestHash, username: string, realm: string, password: string): string {
  return digestHash(hash, `${username}:${realm}:${password}`);
}

export interface DigestInputs {
  hash: DigestHash;
  sess: boolean;
  /** H(username:realm:password), already computed (or looked up). */
  ha1: string;
  method: string;
  uri: string;
  nonce: string;
  /** Present together with nc and cnonce, or all three absent (RFC 2069). */
  qop?: 'auth';
  nc?: string;
  cnonce?: string;
}

/** The `response` parameter value for the given inputs. */
export function computeResponse(d: DigestInputs): string {
  const ha1 = d.sess ? digestHash(d.hash, `${d.ha1}:${d.nonce}:${d.cnonce ?? ''}`) : d.ha1;
  const ha2 = digestHash(d.hash, `${d.method}:${d.uri}`);
  if (d.qop === undefined) return digestHash(d.hash, `${ha1}:${d.nonce}:${ha2}`);
  return digestHash(d.hash, `${ha1}:${d.nonce}:${d.nc}:${d.cnonce}:${d.qop}:${ha2}`);
}
