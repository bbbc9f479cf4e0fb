// Bearer authentication for the native API: `Authorization: Bearer <key>` where the key is
// either the admin key (the operator: sees everything) or an application's API key (sees only
// what that application owns). The resolved Principal is put on the request for handlers.
// A missing, malformed, unknown or revoked key gets the same UNAUTHORIZED answer, so the
// response never says which part was wrong.
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../core/index.ts';
import { hasAdminKey } from './admin-auth.ts';
import { httpError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by apiKeyAuth's preHandler; undefined on routes without it. */
    principal?: Principal;
  }
}

export interface ApiKeyAuthOptions {
  adminKey: string;
  /** Resolves an application key (undefined = unknown or revoked); it must compare in constant time. */
  authenticateApiKey: (key: string) => Promise<{ id: string } | undefined>;
}

const BEARER_RE = /^Bearer\s+(\S+)\s*$/i;

/** A preHandler that sets request.principal or throws UNAUTHORIZED. */
export function apiKeyAuth(opts: ApiKeyAuthOptions): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    if (hasAdminKey(request, opts.adminKey)) {
      request.principal = { kind: 'admin' };
      return;
    }
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? BEARER_RE.exec(header) : null;
    const app = m ? await opts.authenticateApiKey(m[1]) : undefined;
    if (!app) throw httpError('UNAUTHORIZED');
    request.principal = { kind: 'application', applicationId: app.id };
  };
}

/** The request's principal, or UNAUTHORIZED if apiKeyAuth did not run. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw httpError('UNAUTHORIZED');
  return request.principal;
}

/** Throws FORBIDDEN unless the admin key authenticated the request. */
export function requireAdmin(request: FastifyRequest): void {
  if (principalOf(request).kind !== 'admin') throw httpError('FORBIDDEN', 'This action needs the admin key.');
}
