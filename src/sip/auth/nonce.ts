// Stateless, HMAC-signed nonces (RFC 7616 §3.3 leaves the nonce format to the server; §5.5
// suggests a timestamp plus a private key). Any node holding the same secret can check a
// nonce it did not issue, and a restart with a configured secret keeps outstanding nonces
// valid, so phones do not all re-challenge at once after a deploy.
//
//   nonce = base64url( issuedAt:u48-be-ms | random:8 | HMAC-SHA256(secret, realm|issuedAt|random)[0..16) )
//           6 + 8 + 16 = 30 bytes → 40 characters
//
// What a nonce can never carry is "already used with nc=N": that lives in NonceCountCache,
// in memory. After a restart the cache is empty, so a (nonce, nc) captured before the restart
// could be replayed once within the nonce's remaining lifetime. Servers that care set a short
// nonceTtlMs or no secret (a random per-process secret makes every old nonce stale).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TS_LEN = 6;
const RAND_LEN = 8;
const MAC_LEN = 16;
const TOTAL = TS_LEN + RAND_LEN + MAC_LEN;

export type NonceCheck = { valid: true; issuedAt: number } | { valid: false };

export class NonceIssuer {
  private readonly secret: Buffer;
  private readonly realm: string;

  constructor(secret: string | Buffer, realm: string) {
    this.secret = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
    this.realm = realm;
  }

  private mac(head: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(this.realm).update('|').update(head).digest().subarray(0, MAC_LEN);
  }

  /** A fresh nonce stamped with `now` (ms since the epoch). */
  issue(now: number): string {
    const head = Buffer.alloc(TS_LEN + RAND_LEN);
    head.writeUIntBE(Math.max(0, Math.floor(now)), 0, TS_LEN);
    randomBytes(RAND_LEN).copy(head, TS_LEN);
    return Buffer.concat([head, this.mac(head)]).toString('base64url');
  }

  /** Whether we issued this nonce (signature), and when. Expiry is the caller's policy. */
  verify(nonce: string): NonceCheck {
    if (nonce.length !== Math.ceil((TOTAL * 4) / 3) || !/^[A-Za-z0-9_-]+$/.test(nonce)) return { valid: false };
    const buf = Buffer.from(nonce, 'base64url');
    if (buf.length !== TOTAL) return { valid: false };
    const head = buf.subarray(0, TS_LEN + RAND_LEN);
    if (!timingSafeEqual(this.mac(head), buf.subarray(TS_LEN + RAND_LEN))) return { valid: false };
    return { valid: true, issuedAt: head.readUIntBE(0, TS_LEN) };
  }
}
