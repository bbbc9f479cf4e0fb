// Signs the Bearer JWT every ACS callback POST carries (vendor-apis.md A.4): RS256, a fresh
// token per event, 5-minute lifetime; the public key is served as a JWKS behind an OpenID
// configuration on Switchboard, so a bot validates Switchboard's callbacks the way it
// validates Azure's (only the OIDC URL changes). The key pair lives in memory: a restart
// rotates it (validators refetch the JWKS on an unknown kid). Partial: nodes of a cluster
// would each have their own key — the JWKS of one node does not list the others' keys yet.
import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';

export interface CallbackJwtOptions {
  /** Token lifetime; default 300 s. */
  lifetimeSec?: number;
  /** "Now", ms; default Date.now. */
  now?: () => number;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export class CallbackJwtSigner {
  readonly kid = randomUUID();
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly lifetimeSec: number;
  private readonly now: () => number;

  constructor(opts: CallbackJwtOptions = {}) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.lifetimeSec = opts.lifetimeSec ?? 300;
    this.now = opts.now ?? Date.now;
  }

  /** A JWT for one callback: iss = the OIDC issuer, aud = the application id. */
  sign(issuer: string, audience: string): string {
    const iat = Math.floor(this.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: this.kid }));
    const payload = b64url(JSON.stringify({ iss: issuer, aud: audience, iat, nbf: iat, exp: iat + this.lifetimeSec, jti: randomUUID() }));
    const sig = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(this.privateKey);
    return `${header}.${payload}.${b64url(sig)}`;
  }

  /** {keys: [JWK]} for the jwks_uri. */
  jwks(): { keys: Record<string, unknown>[] } {
    return { keys: [{ ...this.publicKey.export({ format: 'jwk' }), kid: this.kid, use: 'sig', alg: 'RS256' }] };
  }

  /** The OpenID configuration document for an issuer base URL (no trailing slash). */
  openIdConfiguration(issuer: string): Record<string, unknown> {
    return {
      issuer, jwks_uri: `${issuer}/calling/.well-known/acsjwks`,
      id_token_signing_alg_values_supported: ['RS256'], response_types_supported: ['id_token'], subject_types_supported: ['public'],
    };
  }
}
