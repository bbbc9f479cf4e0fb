// Admin API key check: `Authorization: Bearer <key>`. The comparison hashes both sides
// first so it runs in constant time whatever the lengths, and a missing or wrong key gets
// the same UNAUTHORIZED answer (no hint which part was wrong).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { httpError } from './errors.ts';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** True when the request carries exactly `adminKey` as a Bearer token. */
export function hasAdminKey(request: FastifyRequest, adminKey: string): boolean {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return false;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return false;
  return timingSafeEqual(digest(m[1]), digest(adminKey));
}

/** A preHandler hook that rejects requests without the admin key. */
export function requireAdminKey(adminKey: string): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    if (!hasAdminKey(request, adminKey)) throw httpError('UNAUTHORIZED');
  };
}
