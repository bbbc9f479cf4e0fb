// /v1/calls: list and read calls, place an outbound call, and act on a live call through
// sub-resources (POST /v1/calls/{id}/play …). Each action runs one core operation
// (CallService.execute) and answers 202 with the operation as it stands — its final result
// arrives as an event and at GET /v1/operations/{id}. Every POST goes through the idempotency
// guard. Another application's call is 404 CALL_NOT_FOUND, exactly like a missing one.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CallError, type CallService, type OperationInfo } from '../../core/index.ts';
import { httpError, principalOf } from '../../http/index.ts';
import {
  actionBodies, callIdParams, callListQuery, callSchema, callSummarySchema, createCallBody, createdCallSchema, errorResponses,
  operationSchema, pageOf, participantActionBody, participantParams, recordingStopParams, stopRecordingBody,
} from './call-schemas.ts';
import type { NativeApiContext } from './context.ts';
import { DEFAULT_PAGE, filteredPage, pageFrom, parseTime } from './paging.ts';
import { mapErrors } from './tenancy-errors.ts';

const tags = ['calls'];

/** URL segment → core operation name and summary. */
export const CALL_ACTIONS: readonly { segment: string; operation: string; summary: string }[] = [
  { segment: 'answer', operation: 'answer', summary: 'Answer an incoming call' },
  { segment: 'reject', operation: 'reject', summary: 'Reject an incoming call (busy 486, forbidden 403, none 480)' },
  { segment: 'redirect', operation: 'redirect', summary: 'Redirect an incoming call (302 with 1–10 targets)' },
  { segment: 'hangup', operation: 'hangup', summary: 'Hang up: end the call for everyone, or drop one leg' },
  { segment: 'play', operation: 'play', summary: 'Play files, URLs, tones, silence or text-to-speech' },
  { segment: 'recognize', operation: 'recognize', summary: 'Collect DTMF or recognize speech choices, with an optional prompt' },
  { segment: 'record-response', operation: 'recordResponse', summary: 'Record what the caller says (≤ 120 s); the recording downloads with the token in record.completed' },
  { segment: 'send-dtmf', operation: 'sendDtmf', summary: 'Send DTMF tones (RFC 4733)' },
  { segment: 'transfer', operation: 'transferBlind', summary: 'Blind transfer: REFER when the peer accepts it, else bridge a new outbound leg' },
  { segment: 'transfer-consultative', operation: 'transferConsultative', summary: 'Consultative transfer: REFER the transferee with Replaces naming the consultation leg (targetCallId or targetLegId), else bridge the two' },
  { segment: 'recordings', operation: 'startRecording', summary: 'Start recording the call' },
  { segment: 'cancel-media', operation: 'cancelAllMediaOperations', summary: 'Cancel every running media operation (play, recognize, record-response)' },
  { segment: 'participants', operation: 'addParticipant', summary: 'Invite a participant (a conference once answered); invitation timeout, cancellable by invitationId' },
  { segment: 'participants/cancel', operation: 'cancelAddParticipant', summary: 'Cancel a ringing participant invitation (CANCEL)' },
  { segment: 'participants/move', operation: 'moveParticipant', summary: 'Move a leg (legId) of another live call (fromCallId) of the application into this call without hanging it up' },
  { segment: 'hold', operation: 'hold', summary: 'Hold a leg: out of the conversation, hearing music in a loop' },
  { segment: 'unhold', operation: 'unhold', summary: 'Take a leg off hold: music stops, it rejoins the conversation' },
  { segment: 'media-streaming', operation: 'startMediaStreaming', summary: 'Stream the call audio live to a WebSocket (ws/wss), optionally bidirectional (docs/streaming.md)' },
  { segment: 'media-streaming/stop', operation: 'stopMediaStreaming', summary: 'Stop media streaming' },
  { segment: 'continuous-dtmf', operation: 'startContinuousDtmf', summary: 'Report each digit a leg (or every leg) presses as a dtmf.received event, until stopped' },
  { segment: 'continuous-dtmf/stop', operation: 'stopContinuousDtmf', summary: 'Stop continuous DTMF (one leg\'s subscription, or all); continuousDtmf.stopped' },
  { segment: 'transcription', operation: 'startTranscription', summary: 'Transcribe what a leg\'s party says, live, to a WebSocket (ws/wss); final results only with the local engine (docs/speech.md)' },
  { segment: 'transcription/stop', operation: 'stopTranscription', summary: 'Stop live transcription (the utterance in progress is sent first)' },
  { segment: 'transcription/update', operation: 'updateTranscription', summary: 'Switch the live transcription to another locale (the engine restarts; offsets keep counting)' },
];

/** Per-leg participant actions: POST /v1/calls/{id}/participants/{legId}/{segment}. */
export const PARTICIPANT_ACTIONS: readonly { segment: string; operation: string; summary: string }[] = [
  { segment: 'mute', operation: 'muteParticipant', summary: 'Mute a leg: the others stop hearing it (it still hears them)' },
  { segment: 'unmute', operation: 'unmuteParticipant', summary: 'Unmute a leg' },
  { segment: 'remove', operation: 'removeParticipant', summary: 'Remove a leg (hang it up); the call goes on while another party is in it' },
];

type ActionBody = Record<string, unknown> & { operationContext?: string; callbackUrl?: string };
type IdReq = { Params: { id: string } };
/** A call row as CallService.list returns it (the store's shape; faces may not import the store). */
type CallRow = Awaited<ReturnType<CallService['list']>>[number];

const MAX_CONTEXT = 2048;

/** The operation context from the body or the Operation-Context header (they must agree). */
function operationContextOf(req: FastifyRequest, body: ActionBody): string | undefined {
  const raw = req.headers['operation-context'];
  const header = Array.isArray(raw) ? raw.join(', ') : raw;
  if (header !== undefined && header.length > MAX_CONTEXT) {
    throw httpError('VALIDATION_FAILED', `Operation-Context is limited to ${MAX_CONTEXT} characters`, [{ path: 'Operation-Context', message: `must be at most ${MAX_CONTEXT} characters` }]);
  }
  if (header !== undefined && body.operationContext !== undefined && header !== body.operationContext) {
    throw httpError('VALIDATION_FAILED', 'operationContext and the Operation-Context header differ', [{ path: '/operationContext', message: 'differs from the Operation-Context header' }]);
  }
  return body.operationContext ?? header;
}

function sendOperation(reply: FastifyReply, info: OperationInfo, status: number): FastifyReply {
  reply.header('location', `/v1/operations/${info.id}`);
  if (info.operationContext !== null) reply.header('operation-context', info.operationContext);
  return reply.code(status).send(info);
}

export function registerCallRoutes(app: FastifyInstance, ctx: NativeApiContext): void {
  const pre = { preHandler: ctx.auth };
  // An action without parameters may come without a body; it means {} (validated as such).
  // A body that says `null` is not "no body": it stays null and fails the object schema (400),
  // so a client bug that serialises nothing never hangs up a call (api-hostile-input.test.ts).
  const emptyBodyIsObject = async (req: FastifyRequest): Promise<void> => {
    if (req.body === undefined) req.body = {};
  };
  const action = { ...pre, preValidation: emptyBodyIsObject };

  /** A call that is not live: 409 when it exists but ended, else the original 404. */
  const explainNotLive = async (req: FastifyRequest, callId: string, err: unknown): Promise<never> => {
    if (err instanceof CallError && err.code === 'CALL_NOT_FOUND') {
      const known = await ctx.calls().get(principalOf(req), callId).then(() => true, () => false);
      if (known) throw httpError('CALL_INVALID_STATE', `call ${callId} has ended`);
    }
    throw err;
  };

  const run = async (req: FastifyRequest<IdReq & { Body?: ActionBody }>, reply: FastifyReply, operation: string): Promise<FastifyReply> => {
    const body: ActionBody = req.body ?? {};
    const operationContext = operationContextOf(req, body);
    const { operationContext: _oc, callbackUrl, ...params } = body;
    const op = await ctx.calls().execute(req.params.id, operation, params, {
      principal: principalOf(req),
      ...(operationContext !== undefined ? { operationContext } : {}),
      ...(callbackUrl !== undefined ? { callbackUrl } : {}),
    }).catch((err: unknown) => explainNotLive(req, req.params.id, err));
    return sendOperation(reply, op.info(), 202);
  };

  app.get<{ Querystring: { since?: string; until?: string; cursor?: string; limit?: number; state?: string; direction?: 'inbound' | 'outbound' } }>('/v1/calls', {
    ...pre,
    schema: { tags, summary: 'List calls, oldest first (admin: all; application key: its own)', querystring: callListQuery, response: { 200: pageOf(callSummarySchema), ...errorResponses } },
  }, mapErrors(async (req) => {
    const q = req.query;
    const since = parseTime('since', q.since);
    const until = parseTime('until', q.until);
    const states = q.state?.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    const limit = q.limit ?? DEFAULT_PAGE;
    const who = principalOf(req);
    const fetch = (afterId: string | undefined, n: number): Promise<CallRow[]> => ctx.calls().list(who, {
      ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), ...(states?.length ? { states } : {}),
      ...(afterId !== undefined ? { afterId } : {}), limit: n,
    });
    // The store filters by state and time; direction is filtered here, page by page.
    if (q.direction) return filteredPage(fetch, (c) => c.direction === q.direction, (c) => c.id, limit, q.cursor);
    return pageFrom(await fetch(q.cursor, limit), limit, (c) => c.id);
  }));

  app.post<{ Body: ActionBody }>('/v1/calls', ctx.idempotent({
    ...pre,
    schema: {
      tags, summary: 'Place an outbound call (phone number via a trunk, SIP URI, WebRTC user); 201 with the call and its createCall operation',
      body: createCallBody, response: { 201: createdCallSchema, ...errorResponses },
    },
  }), mapErrors(async (req, reply) => {
    const body = req.body;
    const operationContext = operationContextOf(req, body);
    const { operationContext: _oc, ...params } = body;
    const who = principalOf(req);
    const { call, operation } = await ctx.calls().createCall(params, { principal: who, ...(operationContext !== undefined ? { operationContext } : {}) });
    const view = await ctx.calls().get(who, call.id);
    reply.header('location', `/v1/calls/${call.id}`);
    if (operationContext !== undefined) reply.header('operation-context', operationContext);
    return reply.code(201).send({ call: view, operation: operation.info() });
  }));

  app.get<IdReq>('/v1/calls/:id', {
    ...pre, schema: { tags, summary: 'Get a call (live or ended) with its legs', params: callIdParams, response: { 200: callSchema, ...errorResponses } },
  }, mapErrors(async (req) => ctx.calls().get(principalOf(req), req.params.id)));

  for (const a of CALL_ACTIONS) {
    app.post<IdReq & { Body?: ActionBody }>(`/v1/calls/:id/${a.segment}`, ctx.idempotent({
      ...action,
      schema: { tags, summary: `${a.summary} (operation ${a.operation}); 202 with the operation`, params: callIdParams, body: actionBodies[a.segment], response: { 202: operationSchema, ...errorResponses } },
    }), mapErrors((req, reply) => run(req, reply, a.operation)));
  }

  type LegReq = { Params: { id: string; legId: string }; Body?: ActionBody };
  for (const a of PARTICIPANT_ACTIONS) {
    app.post<LegReq>(`/v1/calls/:id/participants/:legId/${a.segment}`, ctx.idempotent({
      ...action,
      schema: { tags, summary: `${a.summary} (operation ${a.operation}); 202 with the operation`, params: participantParams, body: participantActionBody, response: { 202: operationSchema, ...errorResponses } },
    }), mapErrors((req, reply) => {
      req.body = { ...(req.body ?? {}), legId: req.params.legId };
      return run(req as unknown as FastifyRequest<IdReq & { Body?: ActionBody }>, reply, a.operation);
    }));
  }
  app.delete<LegReq>('/v1/calls/:id/participants/:legId', ctx.idempotent({
    ...pre,
    schema: { tags, summary: 'Remove a leg (operation removeParticipant; same as POST …/remove); 202 with the operation', params: participantParams, response: { 202: operationSchema, ...errorResponses } },
  }), mapErrors((req, reply) => {
    req.body = { legId: req.params.legId };
    return run(req as unknown as FastifyRequest<IdReq & { Body?: ActionBody }>, reply, 'removeParticipant');
  }));

  type RecordingReq = { Params: { id: string; rid: string }; Body?: ActionBody };
  /**
   * The checks every …/recordings/:rid/{stop,pause,resume} route makes before its operation, in
   * this order: the call is one the key may see (else 404 CALL_NOT_FOUND, before anything about
   * recordings leaks), {rid} is a recording of THAT call (else 404 RECORDING_NOT_FOUND), and it
   * is still running — recording or paused (else 409 CALL_INVALID_STATE).
   */
  const liveRecording = async (req: FastifyRequest<RecordingReq>) => {
    await ctx.calls().get(principalOf(req), req.params.id);
    const rec = await ctx.recordings().get(req.params.rid);
    if (!rec || rec.callId !== req.params.id) throw httpError('RECORDING_NOT_FOUND', `no recording ${req.params.rid} on call ${req.params.id}`);
    if (rec.state !== 'recording' && rec.state !== 'paused') throw httpError('CALL_INVALID_STATE', `recording ${rec.id} is ${rec.state}`);
    return rec;
  };

  app.post<RecordingReq>('/v1/calls/:id/recordings/:rid/stop', ctx.idempotent({
    ...action,
    schema: { tags, summary: 'Stop the call recording {rid} (operation stopRecording); 202 with the operation', params: recordingStopParams, body: stopRecordingBody, response: { 202: operationSchema, ...errorResponses } },
  }), mapErrors(async (req, reply) => {
    await liveRecording(req);
    return run(req, reply, 'stopRecording');
  }));

  // Pause / resume the running recording {rid}: nothing is written while paused (recording.stateChanged paused / active).
  for (const [verb, operation] of [['pause', 'pauseRecording'], ['resume', 'resumeRecording']] as const) {
    app.post<RecordingReq>(`/v1/calls/:id/recordings/:rid/${verb}`, ctx.idempotent({
      ...action,
      schema: { tags, summary: `${verb === 'pause' ? 'Pause' : 'Resume'} the call recording {rid} (operation ${operation}); 202 with the operation`, params: recordingStopParams, body: stopRecordingBody, response: { 202: operationSchema, ...errorResponses } },
    }), mapErrors(async (req, reply) => {
      const rec = await liveRecording(req);
      req.body = { ...(req.body ?? {}), recordingId: rec.id };
      return run(req, reply, operation);
    }));
  }
}
