// GET /metrics in the Prometheus text exposition format. When metrics are not public the
// admin key is required, because labels can reveal traffic patterns of a private deployment.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { requireAdminKey } from './admin-auth.ts';

export function registerMetricsRoute(
  app: FastifyInstance,
  registry: Registry,
  opts: { public: boolean; adminKey: string },
): void {
  app.get(
    '/metrics',
    { preHandler: opts.public ? [] : [requireAdminKey(opts.adminKey)] },
    async (_request, reply) => {
      const text = await registry.metrics();
      return reply.header('content-type', registry.contentType).send(text);
    },
  );
}
