// ACS live transcription routes (vendor-apis.md A.1, A.8): `transcriptionOptions` given on
// answerCall / createCall (kept per call, started at once when startTranscription is true), and
// POST …:startTranscription {locale?, speechModelEndpointId?, operationContext?} /
// …:stopTranscription / …:updateTranscription {locale}. The transcript goes to the options'
// transportUrl in A.8 frames (../transcription-frames.ts) through core's startTranscription.
//
//   transcriptionOptions  transportType 'websocket' (required), transportUrl (ws/wss, required here),
//                         locale (required), startTranscription (default false),
//                         enableIntermediateResults (accepted; the local engine sends finals only),
//                         speechModelEndpointId (passed through to the metadata frame, not used)
//
// PARTIAL: the options live in this node's memory (the last 10,000 calls); only the primary leg
// (or targetParticipant's) is transcribed; the local engine's accuracy is low (docs/speech.md).
import type { FastifyRequest } from 'fastify';
import type { Call } from '../../../core/index.ts';
import { bad } from '../acs-error.ts';
import { callAction, echoContext, type AcsBody, type AcsRoute, type AcsRouteContext } from '../route-context.ts';

export interface AcsTranscriptionParams {
  url: string;
  locale: string;
  speechModelEndpointId?: string;
  autoStart: boolean;
}

const MAX_REMEMBERED = 10_000;
const remembered = new Map<string, AcsTranscriptionParams>();

function remember(callId: string, p: AcsTranscriptionParams): void {
  remembered.delete(callId);
  remembered.set(callId, p);
  while (remembered.size > MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!);
}

const LOCALE_RE = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/;

/** Parses transcriptionOptions (400 on what ACS would refuse); undefined when absent. */
export function parseTranscriptionOptions(raw: unknown): AcsTranscriptionParams | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad('transcriptionOptions must be an object.');
  const o = raw as Record<string, unknown>;
  if (typeof o.transportType !== 'string' || o.transportType.toLowerCase() !== 'websocket') throw bad('transcriptionOptions.transportType must be websocket.');
  if (typeof o.transportUrl !== 'string' || !/^wss?:\/\/\S+$/i.test(o.transportUrl)) throw bad('transcriptionOptions.transportUrl must be a ws:// or wss:// URL.');
  if (typeof o.locale !== 'string' || !LOCALE_RE.test(o.locale)) throw bad('transcriptionOptions.locale must be a BCP 47 locale such as en-US.');
  return {
    url: o.transportUrl, locale: o.locale, autoStart: o.startTranscription === true,
    ...(typeof o.speechModelEndpointId === 'string' ? { speechModelEndpointId: o.speechModelEndpointId } : {}),
  };
}

function coreParams(callId: string, p: AcsTranscriptionParams, locale = p.locale, endpoint = p.speechModelEndpointId): Record<string, unknown> {
  return {
    url: p.url, format: 'acs', locale,
    meta: { callConnectionId: callId, correlationId: callId, ...(endpoint !== undefined ? { speechRecognitionModelEndpointId: endpoint } : {}) },
  };
}

/** Keeps a call's transcriptionOptions and, when startTranscription is true, starts once the call is established. */
export function adoptTranscriptionOptions(ctx: AcsRouteContext, request: FastifyRequest, call: Call, body: AcsBody): void {
  const p = parseTranscriptionOptions(body.transcriptionOptions);
  if (!p) return;
  remember(call.id, p);
  if (!p.autoStart) return;
  // Failures reach the application as TranscriptionFailed (the operation's failed event).
  const start = (): void => void ctx.run(request, call.id, 'startTranscription', coreParams(call.id, p), {}).catch(() => {});
  if (call.state === 'established') return start();
  const onState = (s: { to: string }): void => {
    if (s.to === 'established') {
      call.off('state', onState);
      start();
    } else if (s.to === 'ending' || s.to === 'ended') call.off('state', onState);
  };
  call.on('state', onState);
}

export const transcriptionRoutes: AcsRoute[] = [
  {
    method: 'POST', pattern: callAction('startTranscription'),
    async handle(ctx, request, reply, g, body) {
      const id = decodeURIComponent(g[1]);
      const p = remembered.get(id);
      if (!p) throw bad('This call has no transcriptionOptions: give them when answering or creating the call.');
      if (body.locale !== undefined && (typeof body.locale !== 'string' || !LOCALE_RE.test(body.locale))) throw bad('locale must be a BCP 47 locale such as en-US.');
      const endpoint = typeof body.speechModelEndpointId === 'string' ? body.speechModelEndpointId : p.speechModelEndpointId;
      await ctx.run(request, id, 'startTranscription', coreParams(id, p, (body.locale as string | undefined) ?? p.locale, endpoint), body);
      return reply.code(202).send(echoContext(body));
    },
  },
  {
    method: 'POST', pattern: callAction('stopTranscription'),
    async handle(ctx, request, reply, g, body) {
      await ctx.run(request, decodeURIComponent(g[1]), 'stopTranscription', {}, body);
      return reply.code(202).send(echoContext(body));
    },
  },
  {
    method: 'POST', pattern: callAction('updateTranscription'),
    async handle(ctx, request, reply, g, body) {
      if (typeof body.locale !== 'string') throw bad('locale is required.');
      await ctx.run(request, decodeURIComponent(g[1]), 'updateTranscription', { locale: body.locale }, body);
      return reply.code(202).send(echoContext(body));
    },
  },
];
