// The server side of SIP Digest authentication: checks Authorization (UAS, registrar) or
// Proxy-Authorization (proxy) credentials and builds the 401/407 challenges
// (RFC 3261 §22.2–§22.4, RFC 7616, RFC 8760). It never decides what an authenticated user may
// do; callers authorize the returned username themselves (RFC 3261 §10.3 step 4).
//
// Decisions, each a "pick and document" from the RFCs' latitude:
// - Challenges: one header line per algorithm, strongest first (RFC 8760 §2.4), all with the
//   same nonce, qop="auth" only (auth-int is not offered, see digest-hash.ts).
// - Nonces are stateless HMAC tokens (nonce.ts); nonce-counts are tracked in memory
//   (nonce-count-cache.ts). A nonce that is expired, forged, or issued under another secret
//   gets a fresh challenge with stale=true when the digest itself was right (RFC 7616 §3.3),
//   without stale when it was wrong.
// - A replayed (nonce, nc) gets a fresh challenge with stale=true: the digest was right, so a
//   legitimate client whose requests crossed on the wire recovers without re-prompting, and an
//   attacker gains nothing from a new nonce it cannot answer.
// - Wrong password or unknown user: a fresh 401/407 challenge by default (RFC 3261 §22.2,
//   §22.3: a UAC notices its credentials were refused and gives up; DigestClient does).
//   `onBadCredentials: 'forbid'` answers 403 instead, for deployments plagued by retry loops.
// - Malformed credentials (missing directives, bad nc, qop other than auth) → 400, and a
//   `uri` directive that does not match the Request-URI → 400 (RFC 7616 §3.4.6).
// - Credentials in an unknown scheme or for another realm are ignored: as if absent, so the
//   request is challenged (RFC 4475 §3.3.7, regaut01).
// - RFC 2069 clients (no qop) are accepted when allowNoQop (default true), each nonce once:
//   without nc there is nothing else to stop a replay.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { systemClock, type Clock } from '../../lib/index.ts';
import { createResponse } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import { AuthHeaderError, formatAuthValue, parseAuthValues, type AuthValue } from './auth-header.ts';
import { computeHa1, computeResponse, parseAlgorithm, type DigestHash } from './digest-hash.ts';
import { NonceIssuer } from './nonce.ts';
import { NonceCountCache } from './nonce-count-cache.ts';

/** What `lookup` knows about a user: the password, or precomputed HA1 values. */
export interface DigestUserRecord {
  password?: string;
  /**
   * H(username:realm:password) per hash. A bare string is an MD5 HA1 (the form most SIP
   * servers store). With only HA1s, algorithms without an HA1 cannot be verified for the user.
   */
  ha1?: string | Partial<Record<DigestHash, string>>;
}

export interface DigestServerOptions {
  /** Protection space put in challenges and required in credentials; usually the SIP domain. */
  realm: string;
  /** Algorithms offered, one challenge each, in this order. Default ['SHA-256', 'MD5']. */
  algorithms?: readonly DigestHash[];
  /** How long a nonce stays valid after issue, in ms. Default 300000 (5 minutes). */
  nonceTtlMs?: number;
  /** Time source for nonce issue and expiry. Default systemClock. */
  clock?: Clock;
  /**
   * Key that signs nonces. Default: 32 random bytes per process (a restart makes old nonces
   * stale). Set it to share nonces across nodes and restarts (see nonce.ts for the trade-off).
   */
  secret?: string | Buffer;
  /** Finds a user's credentials; undefined for an unknown user. */
  lookup: (username: string, realm: string) => Promise<DigestUserRecord | undefined>;
  /** Proxy mode: 407 + Proxy-Authenticate / Proxy-Authorization. Default false (401). */
  proxy?: boolean;
  /** Accept RFC 2069 credentials without qop, each nonce once. Default true. */
  allowNoQop?: boolean;
  /** Answer to a wrong password or unknown user: re-challenge or 403. Default 'challenge'. */
  onBadCredentials?: 'challenge' | 'forbid';
  /** Nonces whose nonce-count is tracked at once; least recently used dropped. Default 10000. */
  maxTrackedNonces?: number;
}

/** Why a request was not authenticated (for logs and metrics). */
export type DigestFailure =
  | 'no-credentials'
  | 'malformed'
  | 'uri-mismatch'
  | 'unsupported'
  | 'stale'
  | 'replay'
  | 'bad-credentials';

export type DigestCheckResult =
  | { ok: true; username: string; realm: string; algorithm: string }
  | { ok: false; reason: DigestFailure; response: SipResponse };

const NC_RE = /^[0-9a-fA-F]{8}$/;

export class DigestServer {
  readonly realm: string;
  private readonly algorithms: readonly DigestHash[];
  private readonly ttl: number;
  private readonly clock: Clock;
  private readonly issuer: NonceIssuer;
  private readonly counts: NonceCountCache;
  private readonly lookup: DigestServerOptions['lookup'];
  private readonly proxy: boolean;
  private readonly allowNoQop: boolean;
  private readonly forbid: boolean;

  constructor(opts: DigestServerOptions) {
    this.realm = opts.realm;
    this.algorithms = opts.algorithms?.length ? [...opts.algorithms] : ['SHA-256', 'MD5'];
    this.ttl = opts.nonceTtlMs ?? 300_000;
    this.clock = opts.clock ?? systemClock;
    this.issuer = new NonceIssuer(opts.secret ?? randomBytes(32), opts.realm);
    this.counts = new NonceCountCache(opts.maxTrackedNonces ?? 10_000);
    this.lookup = opts.lookup;
    this.proxy = opts.proxy ?? false;
    this.allowNoQop = opts.allowNoQop ?? true;
    this.forbid = opts.onBadCredentials === 'forbid';
  }

  /** Header carrying the client's credentials in this mode. */
  get credentialsHeader(): 'authorization' | 'proxy-authorization' {
    return this.proxy ? 'proxy-authorization' : 'authorization';
  }

  /** Authenticates a request: the username, or the response to send instead. */
  async check(req: SipRequest): Promise<DigestCheckResult> {
    let cred: AuthValue | undefined;
    try {
      for (const line of req.getAll(this.credentialsHeader)) {
        for (const v of parseAuthValues(line)) {
          if (v.scheme.toLowerCase() === 'digest' && v.params.get('realm') === this.realm) {
            cred ??= v;
          }
        }
      }
    } catch (e) {
      if (e instanceof AuthHeaderError) return this.fail(req, 'malformed', 400, `Bad ${this.credentialsHeader} header`);
      throw e;
    }
    if (!cred) return this.challenge(req, 'no-credentials', false);

    const p = cred.params;
    const username = p.get('username');
    const nonce = p.get('nonce');
    const uri = p.get('uri');
    const response = p.get('response');
    if (username === undefined || nonce === undefined || uri === undefined || response === undefined) {
      return this.fail(req, 'malformed', 400, 'Incomplete credentials');
    }
    const qopRaw = p.get('qop');
    let nc = 1;
    if (qopRaw !== undefined) {
      const ncRaw = p.get('nc');
      if (qopRaw.toLowerCase() !== 'auth' || ncRaw === undefined || !NC_RE.test(ncRaw) || !p.get('cnonce')) {
        return this.fail(req, 'malformed', 400, 'Bad qop, nc or cnonce');
      }
      nc = Number.parseInt(ncRaw, 16);
      if (nc === 0) return this.fail(req, 'malformed', 400, 'Bad nc');
    } else if (!this.allowNoQop) {
      return this.challenge(req, 'unsupported', false);
    }
    // RFC 7616 §3.4.6: the digest covers `uri`, so it must name what the request targets.
    if (!sameRequestUri(uri, req.uri)) return this.fail(req, 'uri-mismatch', 400, 'Digest uri mismatch');

    const alg = parseAlgorithm(p.get('algorithm'));
    // We offer only non-session algorithms; anything else was not our challenge's answer.
    if (!alg || alg.sess || !this.algorithms.includes(alg.hash)) return this.challenge(req, 'unsupported', false);

    const record = await this.lookup(username, this.realm);
    const ha1 = record ? ha1For(record, alg.hash, username, this.realm) : undefined;
    const expected = ha1 === undefined
      ? undefined
      : computeResponse({
        hash: alg.hash, sess: false, ha1, method: req.method, uri, nonce,
        qop: qopRaw === undefined ? undefined : 'auth', nc: p.get('nc'), cnonce: p.get('cnonce'),
      });
    const digestOk = expected !== undefined && safeEqualHex(expected, response);

    const now = this.clock.now();
    const n = this.issuer.verify(nonce);
    // A nonce from the future (clock skew between nodes aside) is as bad as a forged one.
    const nonceOk = n.valid && n.issuedAt <= now + 1000 && now - n.issuedAt < this.ttl;
    if (!nonceOk) return digestOk ? this.challenge(req, 'stale', true) : this.badCredentials(req);
    if (!digestOk) return this.badCredentials(req);
    if (!this.counts.advance(nonce, nc, (n as { issuedAt: number }).issuedAt + this.ttl, now)) {
      return this.challenge(req, 'replay', true);
    }
    return { ok: true, username, realm: this.realm, algorithm: alg.hash };
  }

  /** The challenge header values (one per algorithm) with a fresh nonce. */
  challenges(stale = false): string[] {
    const nonce = this.issuer.issue(this.clock.now());
    return this.algorithms.map((a) => formatAuthValue('Digest', [
      { name: 'realm', value: this.realm, quoted: true },
      { name: 'nonce', value: nonce, quoted: true },
      { name: 'algorithm', value: a, quoted: false },
      { name: 'qop', value: 'auth', quoted: true },
      ...(stale ? [{ name: 'stale', value: 'true', quoted: false }] : []),
    ]));
  }

  /** Drops expired nonce-count state; call now and then (the LRU bound holds regardless). */
  purge(): void {
    this.counts.purge(this.clock.now());
  }

  private challenge(req: SipRequest, reason: DigestFailure, stale: boolean): DigestCheckResult {
    const res = respond(req, this.proxy ? 407 : 401);
    const header = this.proxy ? 'proxy-authenticate' : 'www-authenticate';
    for (const c of this.challenges(stale)) res.add(header, c);
    return { ok: false, reason, response: res };
  }

  private badCredentials(req: SipRequest): DigestCheckResult {
    return this.forbid ? this.fail(req, 'bad-credentials', 403) : this.challenge(req, 'bad-credentials', false);
  }

  private fail(req: SipRequest, reason: DigestFailure, status: number, phrase?: string): DigestCheckResult {
    return { ok: false, reason, response: respond(req, status, phrase) };
  }
}

/** A final response with a To tag, as RFC 3261 §8.2.6.2 requires of a UAS. */
function respond(req: SipRequest, status: number, phrase?: string): SipResponse {
  return createResponse(req, status, phrase, { toTag: randomBytes(5).toString('hex') });
}

function ha1For(r: DigestUserRecord, hash: DigestHash, username: string, realm: string): string | undefined {
  if (typeof r.ha1 === 'string') {
    if (hash === 'MD5') return r.ha1.toLowerCase();
  } else if (r.ha1?.[hash]) return r.ha1[hash]!.toLowerCase();
  return r.password === undefined ? undefined : computeHa1(hash, username, realm, r.password);
}

function safeEqualHex(expected: string, got: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(got.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * RFC 7616 §3.4.6 asks for "the same" URI. Byte equality is the norm; beyond it we tolerate
 * case differences in the scheme and host (RFC 3261 §19.1.4), never in the user part.
 */
function sameRequestUri(digestUri: string, requestUri: string): boolean {
  if (digestUri === requestUri) return true;
  const norm = (u: string): string => {
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):(?:([^@]*)@)?(.*)$/.exec(u.trim());
    if (!m) return u;
    const [, scheme, user, rest] = m;
    const hostEnd = rest.search(/[;?]/);
    const host = hostEnd < 0 ? rest : rest.slice(0, hostEnd);
    const tail = hostEnd < 0 ? '' : rest.slice(hostEnd);
    return `${scheme.toLowerCase()}:${user === undefined ? '' : `${user}@`}${host.toLowerCase()}${tail}`;
  };
  if (norm(digestUri) === norm(requestUri)) return true;
  // Some clients (SIPp 3.6 among them) sign the Request-URI without its user part. The uri
  // is still covered by the response hash, and replay is stopped by nonce-count, so a uri
  // naming the same scheme, host and port is accepted (Asterisk and Kamailio do not check
  // the uri at all by default).
  const withoutUser = (u: string): string => norm(u).replace(/^([a-z0-9+.-]+:)[^@;?]*@/, '$1');
  const digestHasUser = withoutUser(digestUri) !== norm(digestUri);
  return !digestHasUser && norm(digestUri) === withoutUser(requestUri);
}
