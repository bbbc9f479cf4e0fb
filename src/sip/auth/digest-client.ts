// The client side of SIP Digest authentication (RFC 3261 §22.2, §22.3; RFC 7616 §3.4;
// RFC 8760 §2.4): answers 401/407 challenges by adding Authorization / Proxy-Authorization to
// the retried request, and keeps each realm's nonce to pre-authorize later requests until the
// server calls it stale. One DigestClient per credential holder (a registration, a trunk).
//
// When to give up (so a UAC never loops on a wrong password, RFC 3261 §22.2): a challenge that
// answers a request we already put credentials on for that realm means they were refused,
// unless it says stale=true. We recognise that request by its Call-ID and CSeq number, which
// a response copies from its request.
import { randomBytes } from 'node:crypto';
import type { SipRequest, SipResponse } from '../message/index.ts';
import { formatAuthValue, parseAuthValues, type AuthParam, type AuthValue } from './auth-header.ts';
import { ALGORITHM_STRENGTH, computeHa1, computeResponse, parseAlgorithm, type DigestHash } from './digest-hash.ts';

export interface DigestCredentials {
  username: string;
  password: string;
  /** Answer only challenges for this realm; default: answer any realm. */
  realm?: string;
}

export interface DigestClientOptions {
  /** cnonce source (tests pin it). Default: 16 random bytes, base64url. */
  cnonce?: () => string;
}

interface RealmState {
  header: 'authorization' | 'proxy-authorization';
  realm: string;
  nonce: string;
  opaque?: string;
  /** The algorithm parameter as the server wrote it, or undefined when it sent none (MD5). */
  algorithmParam?: string;
  hash: DigestHash;
  sess: boolean;
  qop: boolean;
  nc: number;
  /** Call-ID and CSeq number of the last request we put credentials on for this realm. */
  lastCallId?: string;
  lastCseq?: number;
}

export class DigestClient {
  private readonly realms = new Map<string, RealmState>();
  private readonly makeCnonce: () => string;

  constructor(opts: DigestClientOptions = {}) {
    this.makeCnonce = opts.cnonce ?? (() => randomBytes(16).toString('base64url'));
  }

  /**
   * Adds credentials answering `challenge` (a 401 or 407) to `req`, the new request that will
   * retry it. Returns false when it cannot: not a challenge, no Digest challenge we support,
   * another realm than `creds.realm`, or the credentials were already refused.
   */
  authorize(req: SipRequest, challenge: SipResponse, creds: DigestCredentials): boolean {
    let header: RealmState['header'];
    let challengeHeader: string;
    if (challenge.status === 401) [header, challengeHeader] = ['authorization', 'www-authenticate'];
    else if (challenge.status === 407) [header, challengeHeader] = ['proxy-authorization', 'proxy-authenticate'];
    else return false;

    // Best supported challenge per realm (RFC 8760 §2.4: the strongest we support).
    const best = new Map<string, { v: AuthValue; hash: DigestHash; sess: boolean }>();
    for (const line of challenge.getAll(challengeHeader)) {
      let values: AuthValue[];
      try {
        values = parseAuthValues(line);
      } catch {
        continue;
      }
      for (const v of values) {
        if (v.scheme.toLowerCase() !== 'digest') continue;
        const realm = v.params.get('realm');
        const nonce = v.params.get('nonce');
        if (realm === undefined || nonce === undefined) continue;
        if (creds.realm !== undefined && realm !== creds.realm) continue;
        const alg = parseAlgorithm(v.params.get('algorithm'));
        if (!alg) continue;
        const qop = v.params.get('qop');
        if (qop !== undefined && !qop.split(',').some((q) => q.trim().toLowerCase() === 'auth')) continue;
        const prev = best.get(realm);
        if (!prev || ALGORITHM_STRENGTH.indexOf(alg.hash) < ALGORITHM_STRENGTH.indexOf(prev.hash)) {
          best.set(realm, { v, ...alg });
        }
      }
    }
    if (best.size === 0) return false;

    const callId = challenge.get('call-id');
    const cseq = cseqNumber(challenge.get('cseq'));
    const fresh: RealmState[] = [];
    for (const [realm, { v, hash, sess }] of best) {
      const key = `${header}|${realm}`;
      const old = this.realms.get(key);
      const stale = v.params.get('stale')?.toLowerCase() === 'true';
      const nonce = v.params.get('nonce')!;
      if (old && !stale) {
        // Our credentials for this very request were refused, or the server repeats a nonce
        // we already answered: retrying would only loop.
        if (old.lastCallId === callId && old.lastCseq === cseq) return false;
        if (old.nonce === nonce) return false;
      }
      fresh.push({
        header, realm, nonce, opaque: v.params.get('opaque'), algorithmParam: v.params.get('algorithm'),
        hash, sess, qop: v.params.has('qop'), nc: 0,
      });
    }
    for (const st of fresh) {
      this.realms.set(`${header}|${st.realm}`, st);
      this.apply(req, st, creds);
    }
    return true;
  }

  /**
   * Adds credentials from the nonces already held (RFC 7616 §3.4: the next nc on the same
   * nonce) so a later request needs no round trip. Returns false when there is nothing to reuse.
   */
  preauthorize(req: SipRequest, creds: DigestCredentials): boolean {
    let any = false;
    for (const st of this.realms.values()) {
      if (creds.realm !== undefined && st.realm !== creds.realm) continue;
      // Without qop there is no nc, and the server accepts each nonce once.
      if (!st.qop) continue;
      this.apply(req, st, creds);
      any = true;
    }
    return any;
  }

  /** Forget every nonce (e.g. after the credentials changed). */
  reset(): void {
    this.realms.clear();
  }

  private apply(req: SipRequest, st: RealmState, creds: DigestCredentials): void {
    st.nc++;
    const nc = st.nc.toString(16).padStart(8, '0');
    const cnonce = st.qop || st.sess ? this.makeCnonce() : undefined;
    const ha1 = computeHa1(st.hash, creds.username, st.realm, creds.password);
    const response = computeResponse({
      hash: st.hash, sess: st.sess, ha1, method: req.method, uri: req.uri, nonce: st.nonce,
      qop: st.qop ? 'auth' : undefined, nc: st.qop ? nc : undefined, cnonce,
    });
    const params: AuthParam[] = [
      { name: 'username', value: creds.username, quoted: true },
      { name: 'realm', value: st.realm, quoted: true },
      { name: 'nonce', value: st.nonce, quoted: true },
      { name: 'uri', value: req.uri, quoted: true },
      { name: 'response', value: response, quoted: true },
    ];
    if (st.algorithmParam !== undefined) params.push({ name: 'algorithm', value: st.algorithmParam, quoted: false });
    if (cnonce !== undefined) params.push({ name: 'cnonce', value: cnonce, quoted: true });
    if (st.qop) params.push({ name: 'qop', value: 'auth', quoted: false }, { name: 'nc', value: nc, quoted: false });
    if (st.opaque !== undefined) params.push({ name: 'opaque', value: st.opaque, quoted: true });

    // Replace only our earlier line for this realm; credentials for other realms stay.
    req.headers = req.headers.filter((h) => h.name !== st.header || realmOf(h.value) !== st.realm);
    req.add(st.header, formatAuthValue('Digest', params));
    st.lastCallId = req.get('call-id');
    st.lastCseq = cseqNumber(req.get('cseq'));
  }
}

function realmOf(value: string): string | undefined {
  try {
    return parseAuthValues(value)[0]?.params.get('realm');
  } catch {
    return undefined;
  }
}

function cseqNumber(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number.parseInt(v.trim(), 10);
  return Number.isFinite(n) ? n : undefined;
}
