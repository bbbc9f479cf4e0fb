// Event delivery on a node: the webhook delivery engine over the store's outbox, and the live
// event stream at GET /v1/events/stream (WebSocket). Signing secrets come from the
// application record (store.tenancy), cached briefly because every delivery needs them.
//
// The stream is mounted as a raw `upgrade` listener on the HTTP server: services start after
// Fastify listens, when routes can no longer be added, and Fastify has no WebSocket support
// of its own here.
//
// Query parameters of the stream: applicationId (only that application's events), types
// (comma-separated event types), afterId / since (ISO time or ms) to catch up from the outbox
// before going live. Messages are the native webhook JSON, one event per text frame.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { EventStreamHub, WebhookDeliveryEngine, type SecretsProvider, type StreamCatchUp, type StreamFilter } from '../events/index.ts';
import { errorBody, hasAdminKey } from '../http/index.ts';
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
  });
  const hub = new EventStreamHub({ outbox: ctx.store.outbox });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const httpServer = ctx.http?.server;
  let accepting = false;

  const reject = (socket: Duplex, status: number, reason: string, body: string): void => {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== EVENT_STREAM_PATH) {
      // Someone else's upgrade; with nobody else listening it would hang forever.
      if (httpServer && httpServer.listenerCount('upgrade') <= 1) socket.destroy();
      return;
    }
    // TODO(native API auth): accept application API keys through the native API's key hook
    // (src/http api-key auth, being built) and force filter.applicationId to the key's
    // application. Until then the stream is admin-only: the admin key as Bearer.
    if (!hasAdminKey({ headers: req.headers } as FastifyRequest, ctx.adminKey)) {
      reject(socket, 401, 'Unauthorized', JSON.stringify(errorBody('UNAUTHORIZED')));
      return;
    }
    if (!accepting) {
      reject(socket, 503, 'Service Unavailable', JSON.stringify(errorBody('NOT_READY')));
      return;
    }
    let filter: StreamFilter;
    let catchUp: StreamCatchUp;
    try {
      ({ filter, catchUp } = parseStreamQuery(url.searchParams));
    } catch (err) {
      reject(socket, 400, 'Bad Request', JSON.stringify(errorBody('VALIDATION_FAILED', (err as Error).message)));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, filter, catchUp));
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
    async start() {
      await engine.start();
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
      await engine.stop();
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
