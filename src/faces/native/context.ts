// What the native API's route modules share: the services (each available once the node has
// opened its store and built it; until then NOT_READY), the auth preHandler, and the
// idempotency guard for POST routes.
import type { FastifyRequest, RouteShorthandOptions } from 'fastify';
import type { CallService, CdrService, Tenancy } from '../../core/index.ts';
import { httpError, type IdempotencyStore } from '../../http/index.ts';
import type { EventsSource, RecordingsSource } from './sources.ts';

export interface NativeApiContext {
  /** The services, or NOT_READY while the node is still opening its store. */
  tenancy(): Tenancy;
  calls(): CallService;
  cdrs(): CdrService;
  recordings(): RecordingsSource;
  events(): EventsSource;
  auth: (request: FastifyRequest) => Promise<void>;
  /**
   * Route options with the idempotency guard's hooks appended after the route's own
   * (Repeatability-Request-ID / Idempotency-Key, docs/idempotency.md); unchanged when the
   * node runs without an idempotency store.
   */
  idempotent<T extends RouteShorthandOptions>(opts: T): T;
}

/** A getter that answers NOT_READY (503) while the thing does not exist yet. */
export function lazy<T>(get: () => T | undefined): () => T {
  return () => {
    const t = get();
    if (t === undefined) throw httpError('NOT_READY');
    return t;
  };
}

export function lazyTenancy(get: () => Tenancy | undefined): () => Tenancy {
  return lazy(get);
}

/** An IdempotencyStore that reaches the real one when asked, NOT_READY before it exists. */
export function lazyIdempotencyStore(get: () => IdempotencyStore | undefined): IdempotencyStore {
  const s = lazy(get);
  return {
    claim: (req) => s().claim(req),
    complete: (scope, key, token, response) => s().complete(scope, key, token, response),
    release: (scope, key, token) => s().release(scope, key, token),
    purgeExpired: (now) => s().purgeExpired(now),
  };
}
