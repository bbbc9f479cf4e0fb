// Mounts Switchboard's native REST API (/v1/…) on the HTTP app: bearer auth with the admin
// key or an application key, the tenancy resources, and calls, operations, recordings, CDRs
// and event replay. Every POST goes through the idempotency guard when an idempotency store
// is given. Register it after registerOpenApi (buildHttpApp's `openapi` option) so its routes
// land in /openapi.json.
import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import type { CallService, CdrService, Tenancy } from '../../core/index.ts';
import { apiKeyAuth, createIdempotencyGuard, type IdempotencyStore } from '../../http/index.ts';
import type { Clock, Logger } from '../../lib/index.ts';
import { registerAcsKeyRoutes } from './acs-keys-routes.ts';
import { registerApplicationRoutes } from './applications-routes.ts';
import { registerCallRoutes } from './calls-routes.ts';
import { registerCdrRoutes } from './cdrs-routes.ts';
import { registerConferenceRoutes } from './conferences-routes.ts';
import { lazy, lazyIdempotencyStore, lazyTenancy, type NativeApiContext } from './context.ts';
import { registerEventRoutes } from './events-routes.ts';
import { registerOperationRoutes } from './operations-routes.ts';
import { registerOwnedResource } from './owned-resource-routes.ts';
import { registerRecordingRoutes } from './recordings-routes.ts';
import {
  numberCreateBody, numberSchema, numberUpdateBody, sipUserCreateBody, sipUserSchema, sipUserUpdateBody,
  trunkCreateBody, trunkSchema, trunkUpdateBody,
} from './schemas.ts';
import type { EventsSource, RecordingsSource } from './sources.ts';

export interface NativeApiOptions {
  adminKey: string;
  /** The tenancy services; may return undefined until the store is open (then 503 NOT_READY). */
  tenancy: () => Tenancy | undefined;
  /** The node's call service; undefined (or absent) = call routes answer 503 NOT_READY. */
  calls?: () => CallService | undefined;
  /** CDR reading; undefined (or absent) = 503 NOT_READY. */
  cdrs?: () => CdrService | undefined;
  /** Recording metadata (the store's recordings + file removal); undefined = 503 NOT_READY. */
  recordings?: () => RecordingsSource | undefined;
  /** The event outbox for replay; undefined = 503 NOT_READY. */
  events?: () => EventsSource | undefined;
  /**
   * Idempotency records (the store's IdempotencyRepository); default none: POSTs run without
   * the guard. When given but returning undefined, a POST carrying idempotency headers gets
   * 503 NOT_READY (one without them is unaffected).
   */
  idempotency?: () => IdempotencyStore | undefined;
  /** "Now" for idempotency windows; default systemClock. */
  clock?: Clock;
  /** Idempotency store failures after a handler ran; default nullLogger. */
  logger?: Logger;
}

export function registerNativeApi(app: FastifyInstance, opts: NativeApiOptions): void {
  const tenancy = lazyTenancy(opts.tenancy);
  const none = (): undefined => undefined;
  const guard = opts.idempotency
    ? createIdempotencyGuard({ store: lazyIdempotencyStore(opts.idempotency), ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.logger ? { logger: opts.logger } : {}) })
    : undefined;
  const ctx: NativeApiContext = {
    tenancy,
    calls: lazy(opts.calls ?? none),
    cdrs: lazy(opts.cdrs ?? none),
    recordings: lazy(opts.recordings ?? none),
    events: lazy(opts.events ?? none),
    auth: apiKeyAuth({ adminKey: opts.adminKey, authenticateApiKey: (key) => tenancy().applications.authenticateApiKey(key) }),
    idempotent: <T extends RouteShorthandOptions>(o: T): T => (guard ? guard.route(o) : o),
  };
  // A plugin of its own, so the OpenAPI plugin registered before it sees every route.
  void app.register(async (api) => {
    registerApplicationRoutes(api, ctx);
    registerAcsKeyRoutes(api, ctx);
    registerOwnedResource(api, ctx, {
      path: 'numbers', noun: 'number', service: (c) => c.tenancy().numbers,
      schemas: { item: numberSchema, create: numberCreateBody, update: numberUpdateBody },
    });
    registerOwnedResource(api, ctx, {
      path: 'trunks', noun: 'trunk', service: (c) => c.tenancy().trunks,
      schemas: { item: trunkSchema, create: trunkCreateBody, update: trunkUpdateBody },
    });
    registerOwnedResource(api, ctx, {
      path: 'sip-users', noun: 'SIP user', service: (c) => c.tenancy().sipUsers,
      schemas: { item: sipUserSchema, create: sipUserCreateBody, update: sipUserUpdateBody },
    });
    registerCallRoutes(api, ctx);
    registerConferenceRoutes(api, ctx);
    registerOperationRoutes(api, ctx);
    registerRecordingRoutes(api, ctx);
    registerCdrRoutes(api, ctx);
    registerEventRoutes(api, ctx);
  });
}
