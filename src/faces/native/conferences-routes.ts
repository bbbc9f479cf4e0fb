// /v1/conferences: open a conference — a call with no first leg (a meeting) — by a locator the
// application chooses (CallService.openConference, docs/calls.md "Conferences"). Idempotent by
// locator within the application: the first POST creates it (201), later ones while it is live
// return the same call (200). Parties are then added and removed with the usual call routes
// (POST /v1/calls/{id}/participants, DELETE /v1/calls/{id}/participants/{legId}, …) and it ends
// with POST /v1/calls/{id}/hangup or its idle timeout.
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../http/index.ts';
import { callSchema } from './call-schemas.ts';
import type { NativeApiContext } from './context.ts';
import { errorResponses } from './schemas.ts';
import { mapErrors } from './tenancy-errors.ts';

const tags = ['conferences'];

export const openConferenceBody = {
  type: 'object',
  properties: {
    locator: { type: 'string', minLength: 1, maxLength: 256, description: 'names the conference within the application (e.g. a meeting id); the same locator reaches the same live conference' },
    callbackUrl: { type: 'string', pattern: '^https?://', maxLength: 2048, description: 'where the conference\'s events go; default the application\'s; only used when this request creates it' },
    idleTimeoutMs: { type: 'integer', minimum: 1000, maximum: 86400000, description: 'end it after this long without a live leg; default the node\'s (600000 = 10 min); only used when this request creates it' },
  },
  required: ['locator'],
  additionalProperties: false,
} as const;

/** A call as GET /v1/calls/{id} returns it, plus the conference's locator. */
export const conferenceSchema = {
  type: 'object',
  properties: { ...callSchema.properties, locator: { type: 'string', description: 'the locator the conference was opened with' } },
  required: [...callSchema.required, 'locator'],
} as const;

type OpenBody = { locator: string; callbackUrl?: string; idleTimeoutMs?: number };

export function registerConferenceRoutes(app: FastifyInstance, ctx: NativeApiContext): void {
  app.post<{ Body: OpenBody }>('/v1/conferences', ctx.idempotent({
    preHandler: ctx.auth,
    schema: {
      tags, summary: 'Open a conference (a call with no first leg) by locator: 201 with the new call, or 200 with the live one of that locator',
      body: openConferenceBody, response: { 200: conferenceSchema, 201: conferenceSchema, ...errorResponses },
    },
  }), mapErrors(async (req, reply) => {
    const who = principalOf(req);
    const b = req.body;
    const { call, created } = await ctx.calls().openConference(who, {
      locator: b.locator,
      ...(b.callbackUrl !== undefined ? { callbackUrl: b.callbackUrl } : {}),
      ...(b.idleTimeoutMs !== undefined ? { idleTimeoutMs: b.idleTimeoutMs } : {}),
    });
    const view = await ctx.calls().get(who, call.id);
    reply.header('location', `/v1/calls/${call.id}`);
    return reply.code(created ? 201 : 200).send({ ...view, locator: b.locator });
  }));
}
