// Branch IDs and tags: unique, unguessable tokens (RFC 3261 §8.1.1.7, §19.3).
// Random bytes come from a pooled buffer so the hot path does one crypto call per ~500 tokens.
import { randomFillSync } from 'node:crypto';

/** RFC 3261 §8.1.1.7: branches of RFC 3261 elements start with this cookie. */
export const MAGIC_COOKIE = 'z9hG4bK';

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const s = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return s;
}

/** A fresh branch for a new client transaction: the magic cookie plus 64 random bits. */
export function newBranch(): string {
  return MAGIC_COOKIE + randomHex(8);
}

/** A fresh To/From tag (§19.3 asks for at least 32 random bits; we use 64). */
export function newTag(): string {
  return randomHex(8);
}

/** True when the branch was made by an RFC 3261 element, so §17.2.3's branch matching applies. */
export function isRfc3261Branch(branch: string | undefined): branch is string {
  return branch !== undefined && branch.startsWith(MAGIC_COOKIE) && branch.length > MAGIC_COOKIE.length;
}
