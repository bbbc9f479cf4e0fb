// Mounts Switchboard's native REST API (/v1/…) on the HTTP app: bearer auth with the admin
// key or an application key, then the tenancy resources. Calls, operations, recordings, CDRs
// and events come in later slices. Register it after registerOpenApi (buildHttpApp's
// `openapi` option) so its routes land in /openapi.json.
import type { FastifyInstance } from 'fastify';
import type { Tenancy } from '../../core/index.ts';
import { apiKeyAuth } from '../../http/index.ts';
import { registerApplicationRoutes } from './applications-routes.ts';
import { lazyTenancy, type NativeApiContext } from './context.ts';
import { registerOwnedResource } from './owned-resource-routes.ts';
import {
  numberCreateBody, numberSchema, numberUpdateBody, sipUserCreateBody, sipUserSchema, sipUserUpdateBody,
  trunkCreateBody, trunkSchema, trunkUpdateBody,
} from './schemas.ts';

export interface NativeApiOptions {
  adminKey: string;
  /** The tenancy services; may return undefined until the store is open (then 503 NOT_READY). */
  tenancy: () => Tenancy | undefined;
}

export function registerNativeApi(app: FastifyInstance, opts: NativeApiOptions): void {
  const tenancy = lazyTenancy(opts.tenancy);
  const ctx: NativeApiContext = {
    tenancy,
    auth: apiKeyAuth({ adminKey: opts.adminKey, authenticateApiKey: (key) => tenancy().applications.authenticateApiKey(key) }),
  };
  // A plugin of its own, so the OpenAPI plugin registered before it sees every route.
  void app.register(async (api) => {
    registerApplicationRoutes(api, ctx);
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
  });
}
