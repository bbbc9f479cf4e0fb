// /v1/recordings: recording metadata (list, get, delete) and the audio itself
// (GET /v1/recordings/{id}/content). The download accepts either the application's key
// (Bearer) or the recording's access token (`?token=`, handed out once in record.completed),
// so a webhook app can pass a link to a system that has no API key. Tokens are stored only as
// SHA-256 and compared by hash in constant time. A wrong token, another application's key and
// a missing recording all answer the same 404, so recording ids cannot be probed.
// Partial content (Range, one range) is supported for players that seek.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { canSee, type Principal } from '../../core/index.ts';
import { httpError, principalOf } from '../../http/index.ts';
import { parseByteRange } from './byte-range.ts';
import { callIdParams, errorResponses, pageOf, recordingListQuery, recordingSchema } from './call-schemas.ts';
import type { NativeApiContext } from './context.ts';
import { DEFAULT_PAGE, pageFrom, parseTime } from './paging.ts';
import type { RecordingRow } from './sources.ts';
import { mapErrors } from './tenancy-errors.ts';

const tags = ['recordings'];
const CONTENT_TYPES: Record<string, string> = { wav: 'audio/wav' };
/** States whose file is final and may be downloaded. */
const FINISHED = new Set(['completed', 'stopped']);
const LIVE = new Set(['recording', 'paused']);

export function recordingView(r: RecordingRow): object {
  return {
    id: r.id, callId: r.callId, applicationId: r.applicationId, format: r.format, channels: r.channels,
    durationMs: r.durationMs, sizeBytes: r.sizeBytes, state: r.state, hasAccessToken: r.accessTokenHash !== null,
    createdAt: r.createdAt, updatedAt: r.updatedAt,
  };
}

/** SHA-256 hex of a download token, as core stores it (core/operations/recording-token.ts). */
function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** Constant-time: both sides are 32-byte digests whatever the input lengths. */
function tokenMatches(token: string, storedHashHex: string | null): boolean {
  if (storedHashHex === null || !/^[0-9a-f]{64}$/i.test(storedHashHex)) return false;
  return timingSafeEqual(tokenHash(token), Buffer.from(storedHashHex, 'hex'));
}

export function registerRecordingRoutes(app: FastifyInstance, ctx: NativeApiContext): void {
  type IdReq = { Params: { id: string } };

  const visible = async (who: Principal, id: string): Promise<RecordingRow> => {
    const r = await ctx.recordings().get(id);
    if (!r || !canSee(who, r.applicationId)) throw httpError('RECORDING_NOT_FOUND', `no recording ${id}`);
    return r;
  };

  app.get<{ Querystring: { since?: string; until?: string; cursor?: string; limit?: number; callId?: string } }>('/v1/recordings', {
    preHandler: ctx.auth,
    schema: { tags, summary: 'List recordings (metadata), oldest first; or one call\'s with ?callId=', querystring: recordingListQuery, response: { 200: pageOf(recordingSchema), ...errorResponses } },
  }, mapErrors(async (req) => {
    const q = req.query;
    const who = principalOf(req);
    const since = parseTime('since', q.since);
    const until = parseTime('until', q.until);
    if (q.callId !== undefined) {
      // One call's recordings are few: one page, filtered like the rest.
      const rows = (await ctx.recordings().listByCall(q.callId))
        .filter((r) => canSee(who, r.applicationId) && (since === undefined || r.createdAt >= since) && (until === undefined || r.createdAt < until));
      return { items: rows.map(recordingView) };
    }
    const limit = q.limit ?? DEFAULT_PAGE;
    const rows = await ctx.recordings().list({
      ...(who.kind === 'application' ? { applicationId: who.applicationId } : {}),
      ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), ...(q.cursor ? { afterId: q.cursor } : {}), limit,
    });
    const page = pageFrom(rows, limit, (r) => r.id);
    return { ...page, items: page.items.map(recordingView) };
  }));

  app.get<IdReq>('/v1/recordings/:id', {
    preHandler: ctx.auth,
    schema: { tags, summary: 'Get a recording\'s metadata', params: callIdParams, response: { 200: recordingSchema, ...errorResponses } },
  }, mapErrors(async (req) => recordingView(await visible(principalOf(req), req.params.id))));

  app.delete<IdReq>('/v1/recordings/:id', {
    preHandler: ctx.auth,
    schema: { tags, summary: 'Delete a finished recording: its metadata and its audio', params: callIdParams, response: { 204: { type: 'null' }, ...errorResponses } },
  }, mapErrors(async (req, reply) => {
    const r = await visible(principalOf(req), req.params.id);
    if (LIVE.has(r.state)) throw httpError('RECORDING_NOT_READY', `recording ${r.id} is still running; stop it first`);
    if (!(await ctx.recordings().delete(r.id))) throw httpError('RECORDING_NOT_FOUND', `no recording ${r.id}`);
    return reply.code(204).send();
  }));

  app.get<IdReq & { Querystring: { token?: string } }>('/v1/recordings/:id/content', {
    // The token replaces the key: authenticate with the key only when no token is given.
    preHandler: async (req: FastifyRequest<{ Querystring: { token?: string } }>) => {
      if (req.query.token === undefined) await ctx.auth(req);
    },
    schema: {
      tags, summary: 'Download the audio (Bearer key, or ?token= from record.completed); Range supported',
      params: callIdParams,
      querystring: { type: 'object', properties: { token: { type: 'string', minLength: 1, maxLength: 256, description: 'access token from the record.completed event' } }, additionalProperties: false },
      security: [{ bearer: [] }, {}],
      response: { 200: { description: 'the audio (audio/wav)', type: 'string', format: 'binary' }, 206: { description: 'a byte range of the audio', type: 'string', format: 'binary' }, ...errorResponses },
    },
  }, mapErrors(async (req, reply) => {
    const token = req.query.token;
    let r: RecordingRow;
    if (token !== undefined) {
      const row = await ctx.recordings().get(req.params.id);
      if (!row || !tokenMatches(token, row.accessTokenHash)) throw httpError('RECORDING_NOT_FOUND', `no recording ${req.params.id} for this token`);
      r = row;
    } else {
      r = await visible(principalOf(req), req.params.id);
    }
    if (!FINISHED.has(r.state)) throw httpError('RECORDING_NOT_READY', `recording ${r.id} is ${r.state}`);
    const size = await stat(r.path).then((s) => (s.isFile() ? s.size : undefined), () => undefined);
    if (size === undefined) throw httpError('RECORDING_NOT_FOUND', `the audio of recording ${r.id} is gone`);
    reply.header('accept-ranges', 'bytes');
    const range = parseByteRange(typeof req.headers.range === 'string' ? req.headers.range : undefined, size);
    if (range.kind === 'unsatisfiable') {
      reply.header('content-range', `bytes */${size}`);
      throw httpError('RANGE_NOT_SATISFIABLE', `the recording has ${size} bytes`);
    }
    // Set only now: an error above must leave as JSON.
    reply.header('content-type', CONTENT_TYPES[r.format] ?? 'application/octet-stream');
    reply.header('content-disposition', `attachment; filename="${r.id}.${r.format}"`);
    // Private audio: no shared caches.
    reply.header('cache-control', 'private, no-store');
    if (range.kind === 'partial') {
      reply.header('content-range', `bytes ${range.start}-${range.end}/${size}`);
      reply.header('content-length', range.end - range.start + 1);
      return reply.code(206).send(createReadStream(r.path, { start: range.start, end: range.end }));
    }
    reply.header('content-length', size);
    return reply.code(200).send(createReadStream(r.path));
  }));
}
