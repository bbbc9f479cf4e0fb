// Signs the Bearer JWT every ACS callback POST carries (vendor-apis.md A.4): RS256, a fresh
// token per event, 5-minute lifetime; the public key is served as a JWKS behind an OpenID
// configuration on Switchboard, so a bot validates Switchboard's callbacks the way it
// validates Azure's (only the OIDC URL changes).
//
// Key lifetime. With a `keyFile` (the server passes <dataDir>/acs-callback-keys.json) the key
// pair is kept on disk (mode 0600) and loaded at start, so a restart changes nothing for a bot:
// same `kid`, same JWKS, and a token signed before the restart still verifies after it. The key
// is replaced when it is older than `rotateAfterMs` (checked at load and then every
// `checkEveryMs` on a Clock timer — never in sign(), so no RSA key generation, ~100 ms of CPU,
// runs on the callback delivery path; the timer generates the new key off the event loop) or
// when rotate() is called; the replaced key's public half stays in the JWKS for
// `keepRetiredMs`, so tokens it signed (≤ 5 min) and validators that cached the old JWKS keep
// working while they refetch on the new `kid`. The `kid` is the key's RFC 7638 thumbprint.
// Every entry of the file is checked at load — the current private key and each retired public
// key — and a file with a bad one is refused (a bad public key must never be served in the JWKS).
// Without a keyFile the pair lives in memory (`initialKey`, or a new key).
// Partial: nodes of a cluster each have their own key file — the JWKS of one node does not list
// the others' keys yet (a bot must trust each node's JWKS).
import { createHash, createPrivateKey, createPublicKey, createSign, generateKeyPair, generateKeyPairSync, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { systemClock, type Clock, type Logger, type TimerHandle } from '../../lib/index.ts';

export interface CallbackJwtOptions {
  /** Token lifetime; default 300 s. */
  lifetimeSec?: number;
  /** "Now", ms; default clock.now. */
  now?: () => number;
  /** Runs the rotation check timer (and "now" unless `now` is given); default systemClock (unref'd timers). */
  clock?: Clock;
  /** Where the key pair is kept (created 0600 when missing); default none: the pair lives in memory. */
  keyFile?: string;
  /**
   * Without a keyFile: the private key (RSA) to sign with first, so several signers of one
   * process can share a key instead of each generating one; default a new RSA-2048 key.
   * Ignored with a keyFile (the file's key wins, or a new one is made and saved).
   */
  initialKey?: KeyObject;
  /** Age at which the signing key is replaced; default 90 days. */
  rotateAfterMs?: number;
  /** How often the key's age is checked after start; default 1 h (a key is replaced at most this late); 0 = no timer (call rotateIfDue()). */
  checkEveryMs?: number;
  /** Where the timer's rotations (info) and their failures (error: the old key stays in use) are logged; default nowhere. */
  logger?: Logger;
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

/** A new RSA-2048 private key (the size Azure's own callback keys have), generated synchronously. */
export function generateCallbackKey(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

const generateKeyPairAsync = promisify(generateKeyPair);

function signingKey(privateKey: KeyObject, createdAt: number): SigningKey {
  const publicJwk = publicJwkOf(privateKey);
  return { kid: jwkThumbprint(publicJwk), createdAt, privateKey, publicJwk };
}

/**
 * One `retired[]` entry of a key file, checked: an RSA public key (kty, n, e — extra members such
 * as a private `d` are dropped, never served) that Node accepts, whose kid is its thumbprint and
 * whose retiredAt is a number. Throws what is wrong, naming the entry.
 */
function checkRetired(r: unknown, i: number): KeyFile['retired'][number] {
  const e = r as Partial<KeyFile['retired'][number]> | null;
  const where = `retired[${i}]`;
  if (typeof e !== 'object' || e === null || typeof e.kid !== 'string' || !Number.isFinite(e.retiredAt)) throw new Error(`${where} needs a kid and a numeric retiredAt`);
  const jwk = e.publicJwk;
  if (typeof jwk !== 'object' || jwk === null || jwk.kty !== 'RSA' || typeof jwk.n !== 'string' || typeof jwk.e !== 'string') throw new Error(`${where}.publicJwk is not an RSA public JWK`);
  const publicJwk: JsonWebKey = { kty: jwk.kty, n: jwk.n, e: jwk.e };
  let bits: number | undefined;
  try {
    bits = createPublicKey({ key: publicJwk, format: 'jwk' }).asymmetricKeyDetails?.modulusLength;
  } catch (err) {
    throw new Error(`${where}.publicJwk is not a usable key: ${(err as Error).message}`);
  }
  // Node accepts any base64url as n (even an empty one): every key this signer makes is 2048 bits.
  if (bits === undefined || bits < 2048) throw new Error(`${where}.publicJwk is not a usable key: ${bits ?? 0}-bit modulus`);
  if (jwkThumbprint(publicJwk) !== e.kid) throw new Error(`${where}.kid is not its key's thumbprint`);
  return { kid: e.kid, retiredAt: e.retiredAt as number, publicJwk };
}

export class CallbackJwtSigner {
  private key: SigningKey;
  private retired: KeyFile['retired'] = [];
  private readonly lifetimeSec: number;
  private readonly now: () => number;
  private readonly rotateAfterMs: number;
  private readonly keepRetiredMs: number;
  private readonly clock: Clock;
  private timer: TimerHandle | undefined;
  private closed = false;
  /** A rotation whose key is being generated (the timer's): at most one at a time. */
  private rotating: Promise<boolean> | undefined;

  constructor(private readonly opts: CallbackJwtOptions = {}) {
    this.lifetimeSec = opts.lifetimeSec ?? 300;
    this.clock = opts.clock ?? systemClock;
    this.now = opts.now ?? (() => this.clock.now());
    this.rotateAfterMs = opts.rotateAfterMs ?? 90 * DAY_MS;
    this.keepRetiredMs = opts.keepRetiredMs ?? DAY_MS;
    const stored = opts.keyFile !== undefined && existsSync(opts.keyFile) ? this.load(opts.keyFile) : undefined;
    if (stored) {
      this.key = stored.key;
      this.retired = stored.retired;
      if (this.isDue()) this.rotate();
    } else {
      this.key = signingKey(opts.keyFile === undefined && opts.initialKey ? opts.initialKey : generateCallbackKey(), this.now());
      this.save();
    }
    this.schedule();
  }

  private isDue(): boolean {
    return this.now() - this.key.createdAt >= this.rotateAfterMs;
  }

  /** The next age check (Clock timers: systemClock's are unref'd, so this keeps no process alive). */
  private schedule(): void {
    const every = this.opts.checkEveryMs ?? 3_600_000;
    if (every <= 0 || this.closed) return;
    this.timer = this.clock.setTimeout(() => {
      void this.rotateIfDue()
        .then((rotated) => { if (rotated) this.opts.logger?.info({ kid: this.key.kid }, 'ACS callback signing key rotated'); })
        .catch((err: unknown) => this.opts.logger?.error({ err }, 'ACS callback signing key rotation failed; the old key stays in use'))
        .finally(() => this.schedule());
    }, every);
  }

  /** Stops the age-check timer (the node's HTTP app closes); signing and the JWKS keep working. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /**
   * Replaces the signing key if it is rotateAfterMs old; true when it did. The new key is
   * generated off the event loop (libuv pool), so the timer costs deliveries nothing. A failed
   * save leaves the old key in use (and throws): the file and the served JWKS never disagree.
   */
  rotateIfDue(): Promise<boolean> {
    if (!this.isDue()) return Promise.resolve(false);
    this.rotating ??= (async () => {
      try {
        const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
        if (!this.isDue()) return false; // rotate() ran meanwhile
        this.install(privateKey);
        return true;
      } finally {
        this.rotating = undefined;
      }
    })();
    return this.rotating;
  }

  /** The signing key's id (the `kid` of every token and of the first JWKS entry). */
  get kid(): string {
    return this.key.kid;
  }

  /** A JWT for one callback: iss = the OIDC issuer, aud = the application id. */
  sign(issuer: string, audience: string): string {
    // No rotation check here: it would generate an RSA key on the delivery path (the timer does it).
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
    this.install(generateCallbackKey());
  }

  /** Makes privateKey the signing key, retiring the current one; saved before it is used. */
  private install(privateKey: KeyObject): void {
    const now = this.now();
    const before = { key: this.key, retired: this.retired };
    this.retired = [{ kid: this.key.kid, retiredAt: now, publicJwk: this.key.publicJwk }, ...this.retired.filter((r) => now - r.retiredAt < this.keepRetiredMs)];
    this.key = signingKey(privateKey, now);
    try {
      this.save();
    } catch (err) {
      this.key = before.key;
      this.retired = before.retired;
      throw err;
    }
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
      if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('current.privateKeyPem is not an RSA key (tokens are RS256)');
      const retired = (f.retired as unknown[]).map(checkRetired);
      return { key: signingKey(privateKey, f.current.createdAt), retired };
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
