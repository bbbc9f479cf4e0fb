// ACS media streaming routes (vendor-apis.md A.1, A.2, A.7): `mediaStreamingOptions` given on
// answerCall / createCall (kept per call, started at once when startMediaStreaming is true),
// and POST …:startMediaStreaming / …:stopMediaStreaming, which use those options (ACS takes
// the transport URL and format only at answer/create time).
//
//   mediaStreamingOptions  transportUrl (ws/wss), transportType 'websocket', contentType 'audio',
//                          audioChannelType mixed|unmixed (default mixed), audioFormat
//                          pcm16KMono|pcm24KMono (default pcm16KMono), enableBidirectional,
//                          enableDtmfTones, startMediaStreaming (all default false)
//
// PARTIAL: the options live in this node's memory (the last 10,000 calls); a cluster would need
// them in the call's record. operationCallbackUri applies to a failed start only; the
// MediaStreaming* callbacks go to the call's callbackUri.
import type { FastifyRequest } from 'fastify';
import type { Call } from '../../../core/index.ts';
import { bad } from '../acs-error.ts';
import { callAction, echoContext, type AcsBody, type AcsRoute, type AcsRouteContext } from '../route-context.ts';

/** What core's startMediaStreaming gets from ACS options. */
export interface AcsStreamingParams {
  url: string;
  rate: 16000 | 24000;
  channels: 'mixed' | 'unmixed';
  bidirectional: boolean;
  dtmf: boolean;
  /** Start as soon as the call is connected. */
  autoStart: boolean;
}

const MAX_REMEMBERED = 10_000;
const remembered = new Map<string, AcsStreamingParams>();

function remember(callId: string, p: AcsStreamingParams): void {
  remembered.delete(callId);
  remembered.set(callId, p);
  // Oldest first out (Map keeps insertion order).
  while (remembered.size > MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!);
}

const lc = (v: unknown): string | undefined => (typeof v === 'string' ? v.toLowerCase() : undefined);

/** Parses mediaStreamingOptions (400 on what ACS would refuse); undefined when absent. */
export function parseStreamingOptions(raw: unknown): AcsStreamingParams | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad('mediaStreamingOptions must be an object.');
  const o = raw as Record<string, unknown>;
  if (typeof o.transportUrl !== 'string' || !/^wss?:\/\/\S+$/i.test(o.transportUrl)) throw bad('mediaStreamingOptions.transportUrl must be a ws:// or wss:// URL.');
  if (o.transportType !== undefined && lc(o.transportType) !== 'websocket') throw bad('mediaStreamingOptions.transportType must be websocket.');
  if (o.contentType !== undefined && lc(o.contentType) !== 'audio') throw bad('mediaStreamingOptions.contentType must be audio.');
  const channel = lc(o.audioChannelType) ?? 'mixed';
  if (channel !== 'mixed' && channel !== 'unmixed') throw bad('mediaStreamingOptions.audioChannelType must be mixed or unmixed.');
  const format = lc(o.audioFormat) ?? 'pcm16kmono';
  if (format !== 'pcm16kmono' && format !== 'pcm24kmono') throw bad('mediaStreamingOptions.audioFormat must be pcm16KMono or pcm24KMono.');
  return {
    url: o.transportUrl, rate: format === 'pcm24kmono' ? 24000 : 16000, channels: channel,
    bidirectional: o.enableBidirectional === true, dtmf: o.enableDtmfTones === true, autoStart: o.startMediaStreaming === true,
  };
}

/** Core params for the call's stream in ACS framing. */
function coreParams(callId: string, p: AcsStreamingParams): Record<string, unknown> {
  return {
    url: p.url, format: 'acs', rate: p.rate, channels: p.channels, bidirectional: p.bidirectional, dtmf: p.dtmf,
    meta: { callConnectionId: callId, correlationId: callId },
  };
}

/**
 * Keeps a call's mediaStreamingOptions (answer / create) and, when startMediaStreaming is true,
 * starts streaming once the call is established. Call it before the call can be established.
 */
export function adoptStreamingOptions(ctx: AcsRouteContext, request: FastifyRequest, call: Call, body: AcsBody): void {
  const p = parseStreamingOptions(body.mediaStreamingOptions);
  if (!p) return;
  remember(call.id, p);
  if (!p.autoStart) return;
  const start = (): void => {
    // Failures reach the application as MediaStreamingFailed (the operation's failed event).
    void ctx.run(request, call.id, 'startMediaStreaming', coreParams(call.id, p), {}).catch(() => {});
  };
  if (call.state === 'established') {
    start();
    return;
  }
  const onState = (s: { to: string }): void => {
    if (s.to === 'established') {
      call.off('state', onState);
      start();
    } else if (s.to === 'ending' || s.to === 'ended') call.off('state', onState);
  };
  call.on('state', onState);
}

export const streamingRoutes: AcsRoute[] = [
  {
    method: 'POST', pattern: callAction('startMediaStreaming'),
    async handle(ctx, request, reply, g, body) {
      const id = decodeURIComponent(g[1]);
      const p = remembered.get(id);
      if (!p) throw bad('This call has no mediaStreamingOptions: give them when answering or creating the call.');
      await ctx.run(request, id, 'startMediaStreaming', coreParams(id, p), body);
      return reply.code(202).send(echoContext(body));
    },
  },
  {
    method: 'POST', pattern: callAction('stopMediaStreaming'),
    async handle(ctx, request, reply, g, body) {
      const id = decodeURIComponent(g[1]);
      await ctx.run(request, id, 'stopMediaStreaming', {}, body);
      return reply.code(202).send(echoContext(body));
    },
  },
];
