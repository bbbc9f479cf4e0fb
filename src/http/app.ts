// The Fastify application factory: probes, metrics and the error catalog that every later
// face (native API, ACS, Graph, Huawei) mounts onto. It builds the app and never listens:
// the server decides where and when, and tests drive it with inject().
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../lib/index.ts';
import { catalogClientErrorHandler } from './client-error-handler.ts';
import { installErrorHandling } from './error-handler.ts';
import { registerHealthRoutes, type ReadinessProbe } from './health-routes.ts';
import { registerMetricsRoute } from './metrics-route.ts';
import { registerOpenApi, type OpenApiOptions } from './openapi.ts';
import { buildPartAwareValidator } from './validator-compiler.ts';

export interface HttpAppOptions {
  /** Where request failures and (at debug) access lines go. */
  logger: Logger;
  /** Registry served at /metrics; default: no /metrics route. */
  metricsRegistry?: Registry;
  /** Serve /metrics without auth; default true. When false, /metrics needs the admin key. */
  metricsPublic?: boolean;
  /** Asked on every GET /readyz. */
  readiness: ReadinessProbe;
  /** The admin API key (Bearer) for protected routes. */
  adminKey: string;
  /** Largest accepted request body in bytes; default 1 MiB (Fastify's default). */
  bodyLimit?: number;
  /** Serve /openapi.json and /docs for routes registered later; default off. */
  openapi?: OpenApiOptions;
  /** Serve HTTPS with this PEM certificate chain and key instead of plain HTTP; default plain HTTP. */
  https?: { cert: Buffer; key: Buffer };
}

export function buildHttpApp(opts: HttpAppOptions): FastifyInstance {
  // Fastify's own pino logger stays off: the layer logs through the Logger interface only.
  // The ACS SDKs refuse http:// endpoints unless the bot opts out (allowInsecureConnection), so
  // "change only the connection string" needs this (docs/faces/acs.md). Same app, same routes.
  const app = Fastify({
    ...(opts.https ? { https: { cert: opts.https.cert, key: opts.https.key } } : {}),
    logger: false,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    return503OnClosing: true,
    // Fastify's default silently drops unknown body fields; a typo ("callbakUrl") must be a 400.
    ajv: { customOptions: { removeAdditional: false } },
    // A JSON body keeps the types the client sent ({"name": 12345} is a 400, not "12345"); the
    // query string and path params still coerce (?limit=10). See validator-compiler.ts.
    schemaController: { compilersFactory: { buildValidator: buildPartAwareValidator() } },
    // Requests Node rejects before routing (headers > 16 KB …) get the catalog's shape too.
    clientErrorHandler: catalogClientErrorHandler,
  });
  const log = opts.logger;

  installErrorHandling(app, log);
  app.addHook('onResponse', async (request, reply) => {
    log.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'http',
    );
  });

  registerHealthRoutes(app, opts.readiness);
  if (opts.openapi) registerOpenApi(app, opts.openapi);
  if (opts.metricsRegistry) {
    registerMetricsRoute(app, opts.metricsRegistry, { public: opts.metricsPublic ?? true, adminKey: opts.adminKey });
  }
  return app;
}
