// /v1/cdrs: call detail records (one per call, one per leg), written when a call ends and
// never changed. An application sees only its own; pages are oldest first by start time.
import type { FastifyInstance } from 'fastify';
import type { CallCdr, LegCdr } from '../../core/index.ts';
import { httpError, principalOf } from '../../http/index.ts';
import { callIdParams, cdrListQuery, cdrSchema, errorResponses, pageOf } from './call-schemas.ts';
import type { NativeApiContext } from './context.ts';
import { DEFAULT_PAGE, pageFrom, parseTime } from './paging.ts';
import { mapErrors } from './tenancy-errors.ts';

const tags = ['cdrs'];
/** A CDR's row id: the call's id for the call record, the leg's for a leg record. */
const cdrId = (r: CallCdr | LegCdr): string => (r.kind === 'leg' ? r.legId : r.callId);

export function registerCdrRoutes(app: FastifyInstance, ctx: NativeApiContext): void {
  app.get<{ Querystring: { since?: string; until?: string; cursor?: string; limit?: number; kind?: 'call' | 'leg'; callId?: string } }>('/v1/cdrs', {
    preHandler: ctx.auth,
    schema: { tags, summary: 'List CDRs by start time, oldest first; filter by time, kind, call', querystring: cdrListQuery, response: { 200: pageOf(cdrSchema), ...errorResponses } },
  }, mapErrors(async (req) => {
    const q = req.query;
    const since = parseTime('since', q.since);
    const until = parseTime('until', q.until);
    const limit = q.limit ?? DEFAULT_PAGE;
    const rows = await ctx.cdrs().list(principalOf(req), {
      ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), ...(q.kind ? { kind: q.kind } : {}),
      ...(q.callId ? { callId: q.callId } : {}), ...(q.cursor ? { afterId: q.cursor } : {}), limit,
    });
    return pageFrom(rows, limit, cdrId);
  }));

  app.get<{ Params: { id: string } }>('/v1/cdrs/:id', {
    preHandler: ctx.auth,
    schema: { tags, summary: 'Get the call-level CDR of call {id} (leg CDRs: GET /v1/cdrs?callId={id})', params: callIdParams, response: { 200: cdrSchema, ...errorResponses } },
  }, mapErrors(async (req) => {
    const cdr = await ctx.cdrs().getForCall(principalOf(req), req.params.id);
    if (!cdr) throw httpError('CDR_NOT_FOUND', `no CDR for call ${req.params.id}`);
    return cdr;
  }));
}
