// API key material. A key is "sb_" + 32 random bytes in base64url: 256 bits of entropy, so a
// single fast SHA-256 is a sufficient at-rest hash (a slow KDF protects low-entropy
// passwords from guessing; nobody can guess 2^256). Only the hash and a short display prefix
// are stored. Literal keys from the config file are hashed the same way.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'sb_';
/** Characters of a key kept for display (e.g. "sb_Xk3f9aQ"). */
export const DISPLAY_PREFIX_LENGTH = 10;
/** Shortest literal key the config file may declare. */
export const MIN_LITERAL_KEY_LENGTH = 16;

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Hex SHA-256 of the key as sent. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function displayPrefix(key: string): string {
  return key.slice(0, DISPLAY_PREFIX_LENGTH);
}

/** Constant-time comparison of two hex hashes of equal length. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A webhook signing secret: "whsec_" + 32 random bytes, base64url. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
