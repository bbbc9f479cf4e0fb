// GET /v1/events: replay of the event outbox — what the webhooks carried, in (occurredAt, id)
// order, from a time (`since`) or after an event id (`after`, which is also the page cursor).
// For an application key the replay is always its own events; the admin key sees all or
// one application's (`applicationId`). The live stream is GET /v1/events/stream (WebSocket,
// src/server/events-service.ts).
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../http/index.ts';
import { errorResponses, eventListQuery, eventSchema, pageOf } from './call-schemas.ts';
import type { NativeApiContext } from './context.ts';
import { DEFAULT_PAGE, pageFrom, parseTime } from './paging.ts';
import { mapErrors } from './tenancy-errors.ts';

export function registerEventRoutes(app: FastifyInstance, ctx: NativeApiContext): void {
  app.get<{ Querystring: { since?: string; after?: string; applicationId?: string; limit?: number } }>('/v1/events', {
    preHandler: ctx.auth,
    schema: {
      tags: ['events'], summary: 'Replay events by time (since) or after an event id (after); nextCursor is the `after` of the next page',
      querystring: eventListQuery, response: { 200: pageOf(eventSchema), ...errorResponses },
    },
  }, mapErrors(async (req) => {
    const q = req.query;
    const who = principalOf(req);
    const since = parseTime('since', q.since);
    const limit = q.limit ?? DEFAULT_PAGE;
    // An application key asking for another application's events simply gets none of them.
    const applicationId = who.kind === 'application' ? who.applicationId : q.applicationId;
    if (who.kind === 'application' && q.applicationId !== undefined && q.applicationId !== who.applicationId) return { items: [] };
    const rows = await ctx.events().listEvents({
      ...(applicationId !== undefined ? { applicationId } : {}), ...(q.after !== undefined ? { afterId: q.after } : {}),
      ...(since !== undefined ? { since } : {}), limit,
    });
    return pageFrom(rows, limit, (e) => e.id);
  }));
}
