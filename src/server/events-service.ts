// Event delivery on a node: the webhook delivery engine over the store's outbox, the live
// event stream at GET /v1/events/stream (WebSocket), CDR push (cdr.created through the same
// outbox) and the webhook-failure signal for core (WebhookHealth). Signing secrets come from
// the application record (store.tenancy), cached briefly because every delivery needs them.
// Metrics: webhook_deliveries_total{outcome}, webhook_request_duration_seconds,
// webhook_delivery_latency_seconds, webhook_queue_depth (src/server/metrics.ts).
//
// The stream is mounted as a raw `upgrade` listener on the HTTP server: services start after
// Fastify listens, when routes can no longer be added, and Fastify has no WebSocket support
// of its own here.
//
// Auth of the stream: `Authorization: Bearer <key>` — the admin key sees every application
// (optionally filtered by applicationId); an application's API key sees only that
// application (an applicationId naming another one is refused with 403).
//
// Query parameters of the stream: applicationId (only that application's events), types
// (comma-separated event types), afterId / since (ISO time or ms) to catch up from the outbox
// before going live. Messages are the native webhook JSON, one event per text frame.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApplicationService, type Principal } from '../core/index.ts';
import {
  CdrPublisher, EventStreamHub, WebhookDeliveryEngine, WebhookHealth,
  type SecretsProvider, type StreamCatchUp, type StreamFilter,
} from '../events/index.ts';
import { acsDelivery } from './acs-wiring.ts';
import { apiKeyAuth, errorBody, HttpError, type ErrorCode } from '../http/index.ts';
import type { Logger } from '../lib/index.ts';
import type { OutboxRepository, Store } from '../store/index.ts';
import type { Service, ServiceContext } from './service.ts';

/** Where the live stream is served. */
export const EVENT_STREAM_PATH = '/v1/events/stream';
/** How long an application's secrets are reused before being read again: 5000 ms. */
const SECRETS_TTL_MS = 5000;
/** A stream client this far behind (bytes queued) is disconnected: 4 MiB. */
const MAX_STREAM_BUFFER = 4 * 1024 * 1024;

export interface EventsService extends Service {
  /** The store's outbox this service delivers from (tests append through it). */
  readonly outbox: OutboxRepository;
  readonly engine: WebhookDeliveryEngine;
  readonly hub: EventStreamHub;
  /** Consecutive webhook failures per application: core subscribes to 'failing' / 'recovered'. */
  readonly health: WebhookHealth;
  /** Pushes each ended call's CDR as cdr.created. */
  readonly cdrs: CdrPublisher;
}

/** Secrets from the application record (current first, then the previous during a rotation). */
export function applicationSecrets(store: Store, now: () => number = Date.now): SecretsProvider {
  const cache = new Map<string, { at: number; secrets: readonly string[] }>();
  return async (applicationId) => {
    const hit = cache.get(applicationId);
    if (hit && now() - hit.at < SECRETS_TTL_MS) return hit.secrets;
    const app = await store.tenancy.applications.get(applicationId);
    const secrets = app?.webhookSecrets.filter((s) => s.length > 0) ?? [];
    cache.set(applicationId, { at: now(), secrets });
    return secrets;
  };
}

export function createEventsService(ctx: ServiceContext): EventsService {
  const logger: Logger = ctx.logger.child({ service: 'events' });
  const engine = new WebhookDeliveryEngine({
    outbox: ctx.store.outbox,
    clock: ctx.clock,
    logger,
    secrets: applicationSecrets(ctx.store, () => ctx.clock.now()),
    ...acsDelivery(ctx.http, ctx.config.publicHost),
  });
  const hub = new EventStreamHub({ outbox: ctx.store.outbox });
  const health = new WebhookHealth(engine);
  const cdrs = new CdrPublisher({ store: ctx.store, clock: ctx.clock, logger });
  engine.on('delivered', (i) => ctx.metrics.webhookAttempt('delivered', i.durationMs, ctx.clock.now() - i.delivery.createdAt));
  engine.on('retry', (i) => ctx.metrics.webhookAttempt('retry', i.durationMs));
  engine.on('dead', (i) => ctx.metrics.webhookAttempt('dead', i.durationMs));
  health.on('failing', (info) => logger.warn(info, 'webhooks of this application are failing'));
  health.on('recovered', (info) => logger.info(info, 'webhooks of this application deliver again'));
  const applications = new ApplicationService(ctx.store, { clock: ctx.clock });
  const authenticate = apiKeyAuth({ adminKey: ctx.adminKey, authenticateApiKey: (key) => applications.authenticateApiKey(key) });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const httpServer = ctx.http?.server;
  let accepting = false;

  const reject = (socket: Duplex, status: number, reason: string, body: string): void => {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  };

  const refuse = (socket: Duplex, code: ErrorCode, message?: string): void => {
    const status = code === 'UNAUTHORIZED' ? 401 : code === 'FORBIDDEN' ? 403 : code === 'NOT_READY' ? 503 : 400;
    const reason = { 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable', 400: 'Bad Request' }[status];
    reject(socket, status, reason, JSON.stringify(errorBody(code, message)));
  };

  const principalOf = async (req: IncomingMessage): Promise<Principal | undefined> => {
    const probe = { headers: req.headers } as FastifyRequest;
    try {
      await authenticate(probe);
      return probe.principal;
    } catch (err) {
      if (err instanceof HttpError) return undefined;
      throw err;
    }
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== EVENT_STREAM_PATH) {
      // Someone else's upgrade; with nobody else listening it would hang forever.
      if (httpServer && httpServer.listenerCount('upgrade') <= 1) socket.destroy();
      return;
    }
    socket.on('error', () => socket.destroy());
    void (async () => {
      const who = await principalOf(req);
      if (!who) return refuse(socket, 'UNAUTHORIZED');
      if (!accepting) return refuse(socket, 'NOT_READY');
      let filter: StreamFilter;
      let catchUp: StreamCatchUp;
      try {
        ({ filter, catchUp } = parseStreamQuery(url.searchParams));
      } catch (err) {
        return refuse(socket, 'VALIDATION_FAILED', (err as Error).message);
      }
      if (who.kind === 'application') {
        // A key sees its own application only, whatever the query asked for.
        if (filter.applicationId !== undefined && filter.applicationId !== who.applicationId) {
          return refuse(socket, 'FORBIDDEN', 'An application key streams only its own application\'s events.');
        }
        filter.applicationId = who.applicationId;
      }
      if (socket.destroyed) return;
      wss.handleUpgrade(req, socket, head, (ws) => attach(ws, filter, catchUp));
    })().catch((err: unknown) => {
      logger.error({ err }, 'event stream upgrade failed');
      socket.destroy();
    });
  };

  const attach = (ws: WebSocket, filter: StreamFilter, catchUp: StreamCatchUp): void => {
    let off: (() => void) | undefined;
    let closed = false;
    ws.on('close', () => {
      closed = true;
      off?.();
    });
    ws.on('error', () => ws.terminate());
    hub
      .subscribe(filter, (message) => {
        if (ws.readyState !== ws.OPEN) return;
        if (ws.bufferedAmount > MAX_STREAM_BUFFER) {
          ws.close(1013, 'client too slow; reconnect with afterId to catch up');
          return;
        }
        ws.send(message);
      }, catchUp)
      .then((unsubscribe) => {
        if (closed) unsubscribe();
        else off = unsubscribe;
      })
      .catch((err) => {
        logger.error({ err }, 'event stream catch-up failed');
        ws.close(1011, 'catch-up failed');
      });
  };

  return {
    name: 'events',
    outbox: ctx.store.outbox,
    engine,
    hub,
    health,
    cdrs,
    async start() {
      ctx.metrics.setWebhookQueueDepthProvider(() => ctx.store.outbox.countPending());
      // Core applies each application's webhook fallback (docs/calls.md): it follows the
      // failing signal, and hears at once when a call's own call.incoming could not be delivered.
      if (ctx.calls) {
        const calls = ctx.calls;
        calls.attachWebhookHealth(health);
        const onFailed = (i: { event: { callId?: string; type: string } }): void =>
          calls.webhookDeliveryFailed({ eventType: i.event.type, ...(i.event.callId ? { callId: i.event.callId } : {}) });
        engine.on('retry', onFailed);
        engine.on('dead', onFailed);
      }
      await engine.start();
      await cdrs.start();
      httpServer?.on('upgrade', onUpgrade);
      accepting = true;
    },
    async drain(deadline) {
      accepting = false;
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      await engine.drain(deadline);
    },
    async stop() {
      accepting = false;
      httpServer?.off('upgrade', onUpgrade);
      for (const ws of wss.clients) ws.terminate();
      hub.close();
      await cdrs.stop();
      await engine.stop();
      health.close();
      ctx.metrics.setWebhookQueueDepthProvider(undefined);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function parseStreamQuery(q: URLSearchParams): { filter: StreamFilter; catchUp: StreamCatchUp } {
  const filter: StreamFilter = {};
  const catchUp: StreamCatchUp = {};
  const app = q.get('applicationId');
  if (app) filter.applicationId = app;
  const types = q.get('types');
  if (types) filter.types = types.split(',').map((t) => t.trim()).filter(Boolean);
  const afterId = q.get('afterId');
  if (afterId) catchUp.afterId = afterId;
  const since = q.get('since');
  if (since) {
    const ms = /^\d+$/.test(since) ? Number(since) : Date.parse(since);
    if (Number.isNaN(ms)) throw new Error('since must be an ISO 8601 time or milliseconds since the epoch');
    catchUp.since = ms;
  }
  return { filter, catchUp };
}
