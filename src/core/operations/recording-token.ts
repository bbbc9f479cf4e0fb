// Download tokens of recordings: a random secret handed to the application once (in the
// event), stored only as its SHA-256, compared by hash.
import { createHash, randomBytes } from 'node:crypto';

export function newRecordingToken(): { token: string; hash: string } {
  const token = randomBytes(24).toString('base64url');
  return { token, hash: hashRecordingToken(token) };
}

export function hashRecordingToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
