// Identifiers the UA core mints: tags (§19.3) and Call-IDs (§8.1.1.4). Random enough to be
// globally unique without coordination between nodes.
import { randomBytes } from 'node:crypto';

/** A From/To tag: 32 bits of randomness are required (§19.3); we use 64. */
export function newTag(): string {
  return randomBytes(8).toString('hex');
}

/** A Call-ID: 96 random bits, with our host so a capture shows who minted it. */
export function newCallId(host?: string): string {
  const id = randomBytes(12).toString('hex');
  return host ? `${id}@${host}` : id;
}
