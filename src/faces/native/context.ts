// What the native API's route modules share: the tenancy services (available once the store
// is open; until then NOT_READY) and the auth preHandler.
import type { FastifyRequest } from 'fastify';
import type { Tenancy } from '../../core/index.ts';
import { httpError } from '../../http/index.ts';

export interface NativeApiContext {
  /** The services, or NOT_READY while the node is still opening its store. */
  tenancy(): Tenancy;
  auth: (request: FastifyRequest) => Promise<void>;
}

export function lazyTenancy(get: () => Tenancy | undefined): () => Tenancy {
  return () => {
    const t = get();
    if (!t) throw httpError('NOT_READY');
    return t;
  };
}
