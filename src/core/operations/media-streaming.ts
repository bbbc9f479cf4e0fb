// startMediaStreaming / stopMediaStreaming: the call's audio, live, to the application's
// WebSocket (and, bidirectional, the application's audio back into the call), through the
// MediaStreamer port. One streaming session per call (./streaming-session.ts).
//
// Which legs are tapped:
//   channels 'unmixed' → one tap per answered leg, each frame tagged with its participant; legs
//                        answering later get theirs too (StreamingSession follow). With `legId`:
//                        that leg only.
//   channels 'mixed'   → without `legId`: what every answered leg says, summed by the session
//                        (StreamingSession mix), legs answering later included; the application's
//                        own audio is played TO the legs, so it is not in the mix it gets back
//                        (as on ACS). With `legId`: that leg's line — alone as is, with other legs
//                        the engine's mix (what it hears plus says; this one does carry the
//                        application's audio, and later legs join only through the engine's mix).
// Audio from the application is played to `legId` or the primary leg (queued after what it sent
// before); 'stopAudio' drops what is queued (barge-in).
import { CallError } from '../calls/call-error.ts';
import type { Leg } from '../calls/leg.ts';
import type { StreamConnection } from '../ports/index.ts';
import type { OperationDefinition } from './operation.ts';
import { failure, SUBCODE, success } from './operation-result.ts';
import { StreamingSession, type SessionTap } from './streaming-session.ts';
import { targetLegs } from './media.ts';
import { Check } from './validate.ts';

export interface StartMediaStreamingParams {
  url: string;
  /** Framing dialect (a registered framer); default 'native'. */
  format: string;
  /** Default 16000. */
  rate: 16000 | 24000;
  /** Default 'mixed'. */
  channels: 'mixed' | 'unmixed';
  /** Default false. */
  bidirectional: boolean;
  /** Default false. */
  dtmf: boolean;
  legId?: string;
  /** Opaque strings for the framer's first message and headers (a face's ids). */
  meta?: Record<string, string>;
}

function checkMeta(c: Check): Record<string, string> | undefined {
  const m = c.p.meta;
  if (m === undefined || m === null) return undefined;
  if (typeof m !== 'object' || Array.isArray(m) || !Object.values(m).every((v) => typeof v === 'string')) {
    c.fail('meta', 'must be an object of strings');
    return undefined;
  }
  return { ...(m as Record<string, string>) };
}

export const startMediaStreaming: OperationDefinition<StartMediaStreamingParams> = {
  name: 'startMediaStreaming',
  eventPrefix: 'startMediaStreaming',
  events: 'failures',
  validate(params, call) {
    const c = new Check(params);
    c.only(['url', 'format', 'rate', 'channels', 'bidirectional', 'dtmf', 'legId', 'meta']);
    const url = c.str('url', { required: true, max: 2048, re: /^wss?:\/\/[^\s]+$/i });
    const format = c.str('format', { max: 32, re: /^[a-z0-9-]+$/ }) ?? 'native';
    const rate = c.int('rate', 16000, 16000, 24000);
    if (rate !== 16000 && rate !== 24000) c.fail('rate', 'must be 16000 or 24000');
    const channels = (c.str('channels', { oneOf: ['mixed', 'unmixed'] }) ?? 'mixed') as 'mixed' | 'unmixed';
    const bidirectional = c.bool('bidirectional', false);
    const dtmf = c.bool('dtmf', false);
    const legId = c.str('legId');
    const meta = checkMeta(c);
    c.done();
    if (StreamingSession.of(call)) throw new CallError('INVALID_STATE', `call ${call.id} is already streaming media`);
    return {
      url: url!, format, rate: rate as 16000 | 24000, channels, bidirectional, dtmf,
      ...(legId !== undefined ? { legId } : {}), ...(meta ? { meta } : {}),
    };
  },
  async start(ctx, p) {
    const { call, env } = ctx;
    const streamer = env.mediaStreamer;
    if (!streamer) throw new CallError('NOT_CONFIGURED', 'media streaming is not configured on this node');
    if (StreamingSession.of(call)) throw new CallError('INVALID_STATE', `call ${call.id} is already streaming media`);
    let legs: Leg[];
    let mixedTap = false;
    // Without legId the stream follows the call: every answered leg now and every one answering later.
    const followCall = p.legId === undefined;
    const playTo = targetLegs(ctx, p.legId, false);
    if (p.channels === 'unmixed' || followCall) {
      legs = targetLegs(ctx, p.legId, followCall);
      if (legs.length === 0) throw new CallError('INVALID_STATE', `call ${call.id} has no answered leg`);
    } else {
      legs = playTo;
      mixedTap = call.liveLegs().filter((l) => l.state === 'answered').length > 1;
    }
    const id = env.newId();
    let conn: StreamConnection | undefined;
    const taps: SessionTap[] = [];
    try {
      conn = await streamer.connect({
        url: p.url, format: p.format, content: 'audio', callId: call.id, applicationId: call.applicationId,
        audio: { rate: p.rate, channels: p.channels, bidirectional: p.bidirectional, dtmf: p.dtmf },
        meta: { streamId: id, ...(p.meta ?? {}) },
      });
      for (const leg of legs) {
        const tap = await leg.media.openTap({ rate: p.rate, mixed: mixedTap });
        taps.push(p.channels === 'unmixed' ? { tap, participant: leg.participant, legId: leg.id } : { tap, legId: leg.id });
      }
    } catch (err) {
      await Promise.all(taps.map((t) => t.tap.close().catch(() => {})));
      await conn?.close().catch(() => {});
      if (err instanceof CallError) throw err;
      const error = err instanceof Error ? err.message : String(err);
      // The application learns why in the failed event (ACS: MediaStreamingFailed).
      await call.journal.record({
        events: [call.event('mediaStreaming.failed', {
          streamId: id, reason: 'connect', error, dropped: 0,
          ...(ctx.operationContext !== null ? { operationContext: ctx.operationContext } : {}),
        })],
      }).catch(() => {});
      return failure(500, SUBCODE.MEDIA_FAILED, `media streaming could not start: ${error}`, { streamId: id });
    }
    if (ctx.signal.aborted || !call.legs.size) {
      await Promise.all(taps.map((t) => t.tap.close().catch(() => {})));
      await conn.close().catch(() => {});
      return failure(499, SUBCODE.CANCELLED, 'cancelled');
    }
    new StreamingSession({
      id, call, conn, taps, playTo: p.bidirectional ? (p.channels === 'unmixed' ? legs : playTo) : [], rate: p.rate, dtmf: p.dtmf, clock: env.clock,
      ...(followCall ? { follow: { tagParticipants: p.channels === 'unmixed' }, mix: p.channels === 'mixed' } : {}),
      operationContext: ctx.operationContext,
    });
    await call.journal.record({
      events: [call.event('mediaStreaming.started', {
        streamId: id, url: p.url, format: p.format, rate: p.rate, channels: p.channels, bidirectional: p.bidirectional, dtmf: p.dtmf,
        ...(ctx.operationContext !== null ? { operationContext: ctx.operationContext } : {}),
      })],
    });
    return success({ streamId: id });
  },
};

export const stopMediaStreaming: OperationDefinition<Record<string, never>> = {
  name: 'stopMediaStreaming',
  eventPrefix: 'stopMediaStreaming',
  events: 'failures',
  validate(params, call) {
    const c = new Check(params);
    c.only([]);
    c.done();
    if (!StreamingSession.of(call)) throw new CallError('INVALID_STATE', `call ${call.id} is not streaming media`);
    return {};
  },
  async start(ctx) {
    const s = StreamingSession.of(ctx.call);
    if (!s) throw new CallError('INVALID_STATE', `call ${ctx.call.id} is not streaming media`);
    await s.cancel('cancelled');
    return success({ streamId: s.id, dropped: s.dropped });
  },
};
