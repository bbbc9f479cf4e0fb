// startTranscription / stopTranscription / updateTranscription: a live transcript of what a
// leg's party says, sent to the application's WebSocket as they speak (ACS A.8: TranscriptionData
// frames, Intermediate/Final). The audio comes from an AudioTap on the leg (the primary leg, or
// `legId`), the text from the Transcriber port (local pocketsphinx by default, a hosted provider
// by configuration), the socket from the MediaStreamer port (content 'transcription'). One
// transcription per call (./transcription-session.ts).
//
// PARTIAL: one leg is transcribed (not every participant of a conference); the local engine gives
// final results only, with low accuracy on telephone speech (docs/speech.md).
import { CallError } from '../calls/call-error.ts';
import type { AudioTap, StreamConnection } from '../ports/index.ts';
import type { OperationDefinition } from './operation.ts';
import { failure, SUBCODE, success } from './operation-result.ts';
import { TranscriptionSession } from './transcription-session.ts';
import { targetLegs } from './media.ts';
import { Check } from './validate.ts';

/** Tap rate: the engines' model rate. */
const RATE = 16000;
const LOCALE_RE = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/;

export interface StartTranscriptionParams {
  url: string;
  /** Framing dialect (a registered framer); default 'native'. */
  format: string;
  /** BCP 47; default 'en-US'. */
  locale: string;
  legId?: string;
  /** Opaque strings for the framer's first message (a face's ids). */
  meta?: Record<string, string>;
}

export const startTranscription: OperationDefinition<StartTranscriptionParams> = {
  name: 'startTranscription',
  eventPrefix: 'startTranscription',
  events: 'failures',
  validate(params, call) {
    const c = new Check(params);
    c.only(['url', 'format', 'locale', 'legId', 'meta']);
    const url = c.str('url', { required: true, max: 2048, re: /^wss?:\/\/[^\s]+$/i });
    const format = c.str('format', { max: 32, re: /^[a-z0-9-]+$/ }) ?? 'native';
    const locale = c.str('locale', { max: 35, re: LOCALE_RE }) ?? 'en-US';
    const legId = c.str('legId');
    const m = c.p.meta;
    let meta: Record<string, string> | undefined;
    if (m !== undefined && m !== null) {
      if (typeof m !== 'object' || Array.isArray(m) || !Object.values(m).every((v) => typeof v === 'string')) c.fail('meta', 'must be an object of strings');
      else meta = { ...(m as Record<string, string>) };
    }
    c.done();
    if (TranscriptionSession.of(call)) throw new CallError('INVALID_STATE', `call ${call.id} is already being transcribed`);
    return { url: url!, format, locale, ...(legId !== undefined ? { legId } : {}), ...(meta ? { meta } : {}) };
  },
  async start(ctx, p) {
    const { call, env } = ctx;
    if (!env.transcriber) throw new CallError('NOT_CONFIGURED', 'no transcriber is configured on this node');
    if (!env.mediaStreamer) throw new CallError('NOT_CONFIGURED', 'media streaming is not configured on this node');
    if (TranscriptionSession.of(call)) throw new CallError('INVALID_STATE', `call ${call.id} is already being transcribed`);
    const [leg] = targetLegs(ctx, p.legId, false);
    const id = env.newId();
    const fail = async (error: string, code: number, subcode: number) => {
      await call.journal.record({
        events: [call.event('transcription.failed', {
          transcriptionId: id, reason: 'start', error, locale: p.locale,
          ...(ctx.operationContext !== null ? { operationContext: ctx.operationContext } : {}),
        })],
      }).catch(() => {});
      return failure(code, subcode, `transcription could not start: ${error}`, { transcriptionId: id });
    };
    let conn: StreamConnection | undefined;
    let tap: AudioTap | undefined;
    try {
      conn = await env.mediaStreamer.connect({
        url: p.url, format: p.format, content: 'transcription', callId: call.id, applicationId: call.applicationId,
        transcription: { locale: p.locale }, meta: { transcriptionId: id, ...(p.meta ?? {}) },
      });
      tap = await leg.media.openTap({ rate: RATE, mixed: false });
      if (ctx.signal.aborted || !call.legs.size) {
        await tap.close().catch(() => {});
        await conn.close().catch(() => {});
        return failure(499, SUBCODE.CANCELLED, 'cancelled');
      }
      new TranscriptionSession({
        id, call, conn, tap, participant: leg.participant, transcriber: env.transcriber, locale: p.locale, rate: RATE,
        clock: env.clock, operationContext: ctx.operationContext,
      });
    } catch (err) {
      await tap?.close().catch(() => {});
      await conn?.close().catch(() => {});
      if (err instanceof CallError) throw err;
      // A locale the engine refuses (SpeechError BAD_REQUEST) is the request's fault; the socket was
      // already open and is closed again (the application sees its metadata frame, then the close).
      const bad = (err as { code?: unknown }).code === 'BAD_REQUEST';
      return fail(err instanceof Error ? err.message : String(err), bad ? 400 : 500, bad ? SUBCODE.INTERNAL : SUBCODE.MEDIA_FAILED);
    }
    await call.journal.record({
      events: [call.event('transcription.started', {
        transcriptionId: id, url: p.url, format: p.format, locale: p.locale, legId: leg.id,
        ...(ctx.operationContext !== null ? { operationContext: ctx.operationContext } : {}),
      })],
    });
    return success({ transcriptionId: id });
  },
};

export const stopTranscription: OperationDefinition<Record<string, never>> = {
  name: 'stopTranscription',
  eventPrefix: 'stopTranscription',
  events: 'failures',
  validate(params, call) {
    const c = new Check(params);
    c.only([]);
    c.done();
    if (!TranscriptionSession.of(call)) throw new CallError('INVALID_STATE', `call ${call.id} is not being transcribed`);
    return {};
  },
  async start(ctx) {
    const s = TranscriptionSession.of(ctx.call);
    if (!s) throw new CallError('INVALID_STATE', `call ${ctx.call.id} is not being transcribed`);
    await s.cancel('cancelled');
    return success({ transcriptionId: s.id, results: s.resultCount });
  },
};

export interface UpdateTranscriptionParams {
  locale: string;
}

export const updateTranscription: OperationDefinition<UpdateTranscriptionParams> = {
  name: 'updateTranscription',
  eventPrefix: 'updateTranscription',
  events: 'failures',
  validate(params, call) {
    const c = new Check(params);
    c.only(['locale']);
    const locale = c.str('locale', { required: true, max: 35, re: LOCALE_RE });
    c.done();
    if (!TranscriptionSession.of(call)) throw new CallError('INVALID_STATE', `call ${call.id} is not being transcribed`);
    return { locale: locale! };
  },
  async start(ctx, p) {
    const { call } = ctx;
    const s = TranscriptionSession.of(call);
    if (!s) throw new CallError('INVALID_STATE', `call ${call.id} is not being transcribed`);
    try {
      await s.update(p.locale);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      return failure(400, SUBCODE.INTERNAL, `locale not available: ${error}`, { transcriptionId: s.id });
    }
    await call.journal.record({
      events: [call.event('transcription.updated', {
        transcriptionId: s.id, locale: p.locale,
        ...(ctx.operationContext !== null ? { operationContext: ctx.operationContext } : {}),
      })],
    });
    return success({ transcriptionId: s.id, locale: p.locale });
  },
};
