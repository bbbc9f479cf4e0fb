// ACS recording routes (vendor-apis.md A.1, A.6): start (POST /calling/recordings), get, stop
// (DELETE), :pause, :resume, and the recording file: GET …/{id}/content (Range → 206),
// GET …/{id}/metadata, DELETE …/{id}/content (200, as the SDK's delete expects). The SDK signs
// the file requests over {endpoint.origin}{pathname} with x-ms-host = the endpoint host; the
// face's HMAC check reads x-ms-host, so they authenticate like every other ACS request.
// Another application's recording is 404, exactly like a missing one.
//
// When the file is final (stopped here, or the call ended) RecordingFileStatusUpdated goes to
// the application's Event Grid URL (the IncomingCall one). Partial: wav only (mp3/mp4 → 400),
// audio only (audioVideo → 400); channelAffinity, audioChannelParticipantOrdering and
// externalStorage are refused; group/room locators are refused (recording follows a
// serverCallId or callConnectionId).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Call } from '../../../core/index.ts';
import { AcsError, bad, notFound } from '../acs-error.ts';
import { recordingFileStatusEvent } from '../callbacks/recording.ts';
import type { AcsRecordingRow, AcsRouteContext, AcsRoute } from '../route-context.ts';

const KIND = 'azureCommunicationServices';
const LIVE = new Set(['recording', 'paused']);
/** Per recording id: where the bot reached us (for file URLs) and whether the notice went out. */
const started = new Map<string, { base: string; notified: boolean; startedAt: number }>();

/** serverCallId (base64 of `sb:<callId>`, see serverCallIdOf) → the Switchboard call id. */
function callIdOfServerCallId(serverCallId: string): string | undefined {
  const s = Buffer.from(serverCallId, 'base64').toString('utf8');
  return s.startsWith('sb:') ? s.slice(3) : undefined;
}

const stateOf = (row: AcsRecordingRow): 'active' | 'inactive' => (row.state === 'recording' ? 'active' : 'inactive');

async function ownRecording(ctx: AcsRouteContext, request: FastifyRequest, id: string): Promise<AcsRecordingRow> {
  const row = await ctx.recordings().get(id);
  if (!row || row.applicationId !== ctx.applicationIdOf(request)) throw notFound(`No recording ${id}.`);
  return row;
}

/** Sends RecordingFileStatusUpdated once per recording, after its row is final. */
async function notifyFinal(ctx: AcsRouteContext, id: string): Promise<void> {
  const s = started.get(id);
  if (!s || s.notified) return;
  s.notified = true;
  let row = await ctx.recordings().get(id);
  // The row is final once the recording's journal write committed; it follows the stop closely.
  for (let i = 0; i < 40 && row && LIVE.has(row.state); i++) {
    await new Promise((r) => setTimeout(r, 50));
    row = await ctx.recordings().get(id);
  }
  started.delete(id);
  if (!row || LIVE.has(row.state)) return;
  await ctx.publishEventGrid(row.applicationId, recordingFileStatusEvent({
    id, applicationId: row.applicationId, callId: row.callId, base: s.base, startedAt: s.startedAt,
    durationMs: row.durationMs, channels: row.channels, state: row.state,
  }));
}

/** An error the SDK's download/delete can read: it parses {status, message} (A.6). */
function fileError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send({ status, message, error: { code: status === 404 ? 'NotFound' : 'BadRequest', message } });
}

export const recordingRoutes: AcsRoute[] = [
  {
    method: 'POST', pattern: /^\/calling\/recordings$/,
    async handle(ctx, request, reply, _g, body) {
      const loc = (body.callLocator ?? {}) as Record<string, unknown>;
      let callId: string | undefined;
      if (typeof body.callConnectionId === 'string') callId = body.callConnectionId;
      else if (typeof loc.serverCallId === 'string') callId = callIdOfServerCallId(loc.serverCallId);
      else if (loc.groupCallId !== undefined || loc.roomId !== undefined) ctx.notSupported('recording a group call or room (use the serverCallId or callConnectionId)');
      else throw bad('callLocator (serverCallLocator) or callConnectionId is required.');
      if (!callId) throw notFound('No call with this serverCallId.');
      const format = String(body.recordingFormatType ?? 'wav').toLowerCase();
      if (format !== 'wav') throw bad(`recordingFormatType ${format} is not supported: Switchboard records wav only.`);
      if (String(body.recordingContentType ?? 'audio').toLowerCase() !== 'audio') throw bad('recordingContentType must be audio (Switchboard does not record video).');
      const channel = String(body.recordingChannelType ?? 'mixed').toLowerCase();
      if (channel !== 'mixed' && channel !== 'unmixed') throw bad('recordingChannelType must be mixed or unmixed.');
      for (const k of ['channelAffinity', 'audioChannelParticipantOrdering', 'externalStorage']) {
        if (body[k] !== undefined && !(Array.isArray(body[k]) && body[k].length === 0)) ctx.notSupported(k);
      }
      const call: Call | undefined = ctx.calls().getLive(ctx.principalOf(request), callId);
      if (!call) throw notFound('The call is not live.');
      const before = call.recordingIds.length;
      const op = await ctx.run(request, callId, 'startRecording', {
        channels: channel === 'unmixed' ? 2 : 1, format: 'wav',
        ...(typeof body.recordingStateCallbackUri === 'string' ? { callbackUrl: body.recordingStateCallbackUri } : {}),
        ...(body.pauseOnStart === true ? { paused: true } : {}),
      }, {});
      const result = await op.done;
      const id = call.recordingIds.length > before ? call.recordingIds[call.recordingIds.length - 1] : undefined;
      if (!id || result.code >= 300) throw new AcsError(result.code >= 500 ? 500 : 400, 'BadRequest', `The recording did not start: ${result.message}`);
      const host = request.headers['x-ms-host'] ?? request.headers.host ?? 'localhost';
      started.set(id, { base: `${request.protocol}://${String(host)}`, notified: false, startedAt: Date.now() });
      // A recording the call's end stops gets its file notice too.
      call.once('ended', () => { void notifyFinal(ctx, id).catch(() => {}); });
      return reply.code(200).send({ recordingId: id, recordingState: body.pauseOnStart === true ? 'inactive' : 'active', recordingKind: KIND });
    },
  },
  {
    method: 'GET', pattern: /^\/calling\/recordings\/([^/:]+)$/,
    async handle(ctx, request, _reply, g) {
      const row = await ownRecording(ctx, request, decodeURIComponent(g[1]));
      return { recordingId: row.id, recordingState: stateOf(row), recordingKind: KIND };
    },
  },
  {
    method: 'DELETE', pattern: /^\/calling\/recordings\/([^/:]+)$/,
    async handle(ctx, request, reply, g) {
      const row = await ownRecording(ctx, request, decodeURIComponent(g[1]));
      if (LIVE.has(row.state)) {
        const op = await ctx.run(request, row.callId, 'stopRecording', {}, {});
        await op.done;
        await notifyFinal(ctx, row.id);
      }
      return reply.code(204).send();
    },
  },
  {
    method: 'POST', pattern: /^\/calling\/recordings\/([^/:]+):(pause|resume)$/,
    async handle(ctx, request, reply, g) {
      const row = await ownRecording(ctx, request, decodeURIComponent(g[1]));
      if (!LIVE.has(row.state)) throw bad(`Recording ${row.id} has ended.`);
      const op = await ctx.run(request, row.callId, g[2] === 'pause' ? 'pauseRecording' : 'resumeRecording', { recordingId: row.id }, {});
      const r = await op.done;
      if (r.code >= 300) throw new AcsError(r.code >= 500 ? 500 : 400, 'BadRequest', r.message);
      return reply.code(202).send();
    },
  },
  {
    method: 'GET', pattern: /^\/calling\/recordings\/([^/:]+)\/metadata$/,
    async handle(ctx, request, reply, g) {
      const row = await ctx.recordings().get(decodeURIComponent(g[1]));
      if (!row || row.applicationId !== ctx.applicationIdOf(request)) return fileError(reply, 404, 'No such recording.');
      return { documentId: row.id, callId: row.callId, recordingId: row.id, chunkStartTime: new Date(row.createdAt).toISOString(), chunkDuration: row.durationMs, format: row.format, channels: row.channels, sizeBytes: row.sizeBytes };
    },
  },
  {
    method: 'GET', pattern: /^\/calling\/recordings\/([^/:]+)\/content$/,
    async handle(ctx, request, reply, g) {
      const row = await ctx.recordings().get(decodeURIComponent(g[1]));
      if (!row || row.applicationId !== ctx.applicationIdOf(request)) return fileError(reply, 404, 'No such recording.');
      if (LIVE.has(row.state)) return fileError(reply, 400, 'The recording is still running; its file is not final.');
      const size = await stat(row.path).then((s) => (s.isFile() ? s.size : undefined), () => undefined);
      if (size === undefined) return fileError(reply, 404, 'The recording file is gone.');
      const range = byteRange(request.headers.range, size);
      if (range === 'unsatisfiable') return reply.code(416).header('content-range', `bytes */${size}`).send({ status: 416, message: `The recording has ${size} bytes.` });
      reply.header('accept-ranges', 'bytes').header('content-type', 'audio/wav').header('cache-control', 'private, no-store');
      if (range) {
        reply.header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', range.end - range.start + 1);
        return reply.code(206).send(createReadStream(row.path, { start: range.start, end: range.end }));
      }
      reply.header('content-length', size);
      return reply.code(200).send(createReadStream(row.path));
    },
  },
  {
    method: 'DELETE', pattern: /^\/calling\/recordings\/([^/:]+)\/content$/,
    async handle(ctx, request, reply, g) {
      const row = await ctx.recordings().get(decodeURIComponent(g[1]));
      if (!row || row.applicationId !== ctx.applicationIdOf(request)) return fileError(reply, 404, 'No such recording.');
      if (LIVE.has(row.state)) return fileError(reply, 400, 'The recording is still running; stop it first.');
      if (!(await ctx.recordings().delete(row.id))) return fileError(reply, 404, 'No such recording.');
      return reply.code(200).send();
    },
  },
];

/**
 * One byte range (RFC 9110 §14.1.2), or undefined for the whole file. Besides "first-last",
 * "first-" and "-suffix" it reads "bytes=first" (no dash) as "first-": the SDK sends that when
 * given an offset without a length. Anything else (the SDK's "bytes=undefined" when no offset
 * is given) is ignored (§14.2).
 */
function byteRange(header: string | string[] | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = typeof header === 'string' ? /^\s*bytes\s*=\s*(\d*)\s*(?:-\s*(\d*))?\s*$/i.exec(header) : null;
  if (!m || (m[1] === '' && !m[2])) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    return n === 0 || size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] ? Number(m[2]) : size - 1;
  if (last < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(last, size - 1) };
}
