// Signs the Bearer JWT every ACS callback POST carries (vendor-apis.md A.4): RS256, a fresh
// token per event, 5-minute lifetime; the public key is served as a JWKS behind an OpenID
// configuration on Switchboard, so a bot validates Switchboard's callbacks the way it
// validates Azure's (only the OIDC URL changes).
//
// Key lifetime. With a `keyFile` (the server passes <dataDir>/acs-callback-keys.json) the key
// pair is kept on disk (mode 0600) and loaded at start, so a restart changes nothing for a bot:
// same `kid`, same JWKS, and a token signed before the restart still verifies after it. The key
// is replaced when it is older than `rotateAfterMs` (checked when a token is signed and at
// load) or when rotate() is called; the replaced key's public half stays in the JWKS for
// `keepRetiredMs`, so tokens it signed (≤ 5 min) and validators that cached the old JWKS keep
// working while they refetch on the new `kid`. The `kid` is the key's RFC 7638 thumbprint.
// Without a keyFile the pair lives in memory (a key per process, as tests that mount the face
// alone need).
// Partial: nodes of a cluster each have their own key file — the JWKS of one node does not list
// the others' keys yet (a bot must trust each node's JWKS).
import { createHash, createPrivateKey, createPublicKey, createSign, generateKeyPairSync, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface CallbackJwtOptions {
  /** Token lifetime; default 300 s. */
  lifetimeSec?: number;
  /** "Now", ms; default Date.now. */
  now?: () => number;
  /** Where the key pair is kept (created 0600 when missing); default none: a new key per process. */
  keyFile?: string;
  /** Age at which the signing key is replaced; default 90 days. */
  rotateAfterMs?: number;
  /** How long a replaced key stays in the JWKS; default 24 h (longer than any token and any sane JWKS cache). */
  keepRetiredMs?: number;
}

/** The key file (JSON): the signing key and the retired public keys still served. */
interface KeyFile {
  version: 1;
  current: { kid: string; createdAt: number; privateKeyPem: string };
  retired: { kid: string; retiredAt: number; publicJwk: JsonWebKey }[];
}

interface SigningKey {
  kid: string;
  createdAt: number;
  privateKey: KeyObject;
  publicJwk: JsonWebKey;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');
const DAY_MS = 86_400_000;

/** RFC 7638 §3: SHA-256 of the required members (e, kty, n for RSA) in lexicographic order, no spaces. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  return b64url(createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n })).digest());
}

function publicJwkOf(privateKey: KeyObject): JsonWebKey {
  const { kty, n, e } = createPublicKey(privateKey).export({ format: 'jwk' });
  return { kty, n, e };
}

function newKey(now: number): SigningKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicJwk = publicJwkOf(privateKey);
  return { kid: jwkThumbprint(publicJwk), createdAt: now, privateKey, publicJwk };
}

export class CallbackJwtSigner {
  private key: SigningKey;
  private retired: KeyFile['retired'] = [];
  private readonly lifetimeSec: number;
  private readonly now: () => number;
  private readonly rotateAfterMs: number;
  private readonly keepRetiredMs: number;

  constructor(private readonly opts: CallbackJwtOptions = {}) {
    this.lifetimeSec = opts.lifetimeSec ?? 300;
    this.now = opts.now ?? Date.now;
    this.rotateAfterMs = opts.rotateAfterMs ?? 90 * DAY_MS;
    this.keepRetiredMs = opts.keepRetiredMs ?? DAY_MS;
    const stored = opts.keyFile !== undefined && existsSync(opts.keyFile) ? this.load(opts.keyFile) : undefined;
    if (stored) {
      this.key = stored.key;
      this.retired = stored.retired;
      if (this.now() - this.key.createdAt >= this.rotateAfterMs) this.rotate();
    } else {
      this.key = newKey(this.now());
      this.save();
    }
  }

  /** The signing key's id (the `kid` of every token and of the first JWKS entry). */
  get kid(): string {
    return this.key.kid;
  }

  /** A JWT for one callback: iss = the OIDC issuer, aud = the application id. */
  sign(issuer: string, audience: string): string {
    if (this.now() - this.key.createdAt >= this.rotateAfterMs) this.rotate();
    const iat = Math.floor(this.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: this.key.kid }));
    const payload = b64url(JSON.stringify({ iss: issuer, aud: audience, iat, nbf: iat, exp: iat + this.lifetimeSec, jti: randomUUID() }));
    const sig = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(this.key.privateKey);
    return `${header}.${payload}.${b64url(sig)}`;
  }

  /**
   * Replaces the signing key now: the old public key stays in the JWKS for keepRetiredMs
   * (tokens it signed keep verifying), retired keys older than that are dropped; saved at once.
   */
  rotate(): void {
    const now = this.now();
    this.retired = [{ kid: this.key.kid, retiredAt: now, publicJwk: this.key.publicJwk }, ...this.retired.filter((r) => now - r.retiredAt < this.keepRetiredMs)];
    this.key = newKey(now);
    this.save();
  }

  /** {keys: [JWK]} for the jwks_uri: the signing key first, then the retired keys still kept. */
  jwks(): { keys: Record<string, unknown>[] } {
    const now = this.now();
    const entry = (kid: string, jwk: JsonWebKey) => ({ ...jwk, kid, use: 'sig', alg: 'RS256' });
    return {
      keys: [entry(this.key.kid, this.key.publicJwk), ...this.retired.filter((r) => now - r.retiredAt < this.keepRetiredMs).map((r) => entry(r.kid, r.publicJwk))],
    };
  }

  /** The OpenID configuration document for an issuer base URL (no trailing slash). */
  openIdConfiguration(issuer: string): Record<string, unknown> {
    return {
      issuer, jwks_uri: `${issuer}/calling/.well-known/acsjwks`,
      id_token_signing_alg_values_supported: ['RS256'], response_types_supported: ['id_token'], subject_types_supported: ['public'],
    };
  }

  /** Reads the key file; a file that is not one fails loudly (a silent new key would break every bot's validation). */
  private load(file: string): { key: SigningKey; retired: KeyFile['retired'] } {
    try {
      const f = JSON.parse(readFileSync(file, 'utf8')) as KeyFile;
      // A createdAt that is not a number would make the key never due for rotation: refused too.
      if (f.version !== 1 || !f.current?.privateKeyPem || !Number.isFinite(f.current.createdAt) || !Array.isArray(f.retired)) throw new Error('not a version 1 key file');
      const privateKey = createPrivateKey(f.current.privateKeyPem);
      const publicJwk = publicJwkOf(privateKey);
      return { key: { kid: jwkThumbprint(publicJwk), createdAt: f.current.createdAt, privateKey, publicJwk }, retired: f.retired };
    } catch (err) {
      throw new Error(`ACS callback signing key file ${file} is unreadable (${(err as Error).message}); move it away to start with a new key (bots then refetch the JWKS)`);
    }
  }

  /** Writes the key file atomically (temp file + rename), owner-only. */
  private save(): void {
    const file = this.opts.keyFile;
    if (file === undefined) return;
    const body: KeyFile = {
      version: 1,
      current: { kid: this.key.kid, createdAt: this.key.createdAt, privateKeyPem: this.key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string },
      retired: this.retired,
    };
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, file);
  }
}
