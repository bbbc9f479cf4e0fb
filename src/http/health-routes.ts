// Liveness and readiness probes (Kubernetes-style).
//   GET /healthz — the process is up and its event loop answers: always 200 while it runs.
//   GET /readyz  — the node takes new work: 200 when ready; 503 while starting or draining,
//                  so load balancers stop sending before shutdown ends active calls.
import type { FastifyInstance } from 'fastify';

/** What the server reports about itself; a bare boolean means ready / starting. */
export type ReadinessReport =
  | boolean
  | { ready: boolean; status?: 'starting' | 'draining' | 'stopped'; reason?: string };

export type ReadinessProbe = () => ReadinessReport;

export function registerHealthRoutes(app: FastifyInstance, readiness: ReadinessProbe): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const r = readiness();
    const report = typeof r === 'boolean' ? { ready: r } : r;
    if (report.ready) return { status: 'ready' };
    const body: { status: string; reason?: string } = { status: report.status ?? 'starting' };
    if (report.reason) body.reason = report.reason;
    return reply.code(503).send(body);
  });
}
