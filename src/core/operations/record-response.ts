// recordResponse: records what the caller says after an optional prompt (barge-in), with a
// beep, initial and end silence timeouts, a maximum duration (≤ 120 s) and stop tones; the
// result is a recording (metadata row + file) downloadable with the token in the event.
// Events: record.completed {recordingId, durationMs, sizeBytes, reason, accessToken} |
// record.failed | record.cancelled.
import { join } from 'node:path';
import type { OperationDefinition } from './operation.ts';
import { SUBCODE, failure, success } from './operation-result.ts';
import { checkPlaySources, followMedia, targetLegs, toPlayItems, type PlaySource } from './media.ts';
import { newRecordingToken } from './recording-token.ts';
import { Check, DTMF_RE } from './validate.ts';

export interface RecordResponseParams {
  prompt: PlaySource[];
  /** Default true. */
  bargeIn: boolean;
  /** Default true. */
  beep: boolean;
  /** Default 5000 ms. */
  initialSilenceTimeoutMs: number;
  /** Default 2000 ms. */
  endSilenceTimeoutMs: number;
  /** Default 60000 ms, at most 120000. */
  maxDurationMs: number;
  /** Default '#'. */
  stopTones: string;
  /** Default 'wav'. */
  format: 'wav';
  legId?: string;
}

export const recordResponse: OperationDefinition<RecordResponseParams> = {
  name: 'recordResponse',
  eventPrefix: 'record',
  events: 'all',
  media: true,
  validate(params) {
    const c = new Check(params);
    c.only(['prompt', 'bargeIn', 'beep', 'initialSilenceTimeoutMs', 'endSilenceTimeoutMs', 'maxDurationMs', 'stopTones', 'format', 'legId']);
    const prompt = checkPlaySources(c, 'prompt', false);
    const r: RecordResponseParams = {
      prompt, bargeIn: c.bool('bargeIn', true), beep: c.bool('beep', true),
      initialSilenceTimeoutMs: c.int('initialSilenceTimeoutMs', 5000, 500, 60_000),
      endSilenceTimeoutMs: c.int('endSilenceTimeoutMs', 2000, 200, 60_000),
      maxDurationMs: c.int('maxDurationMs', 60_000, 1000, 120_000),
      stopTones: c.str('stopTones', { re: DTMF_RE, max: 16 }) ?? '#',
      format: (c.str('format', { oneOf: ['wav'] }) ?? 'wav') as 'wav',
    };
    const legId = c.str('legId');
    c.done();
    return { ...r, ...(legId !== undefined ? { legId } : {}) };
  },
  async start(ctx, p) {
    const { call, env } = ctx;
    const [leg] = targetLegs(ctx, p.legId, false);
    if (p.prompt.length) {
      const pr = await followMedia(ctx, await leg.media.play(await toPlayItems(ctx, p.prompt), { bargeIn: p.bargeIn }));
      if (pr.reason === 'failed') return failure(500, SUBCODE.MEDIA_FAILED, `prompt failed: ${pr.error ?? ''}`);
      if (ctx.signal.aborted) return failure(499, SUBCODE.CANCELLED, 'cancelled');
    }
    const id = env.newId();
    const path = join(env.recordingsDir, `${id}.${p.format}`);
    const now = env.clock.now();
    await call.journal.record({
      write: async (tx) => {
        await tx.calls.recordings.insert({ id, callId: call.id, applicationId: call.applicationId, path, format: p.format, channels: 1, durationMs: null, sizeBytes: null, state: 'recording', accessTokenHash: null, createdAt: now, updatedAt: now });
      },
      events: [],
    });
    call.recordingIds.push(id);
    const rec = await leg.media.record(path, {
      format: p.format, channels: 1, beep: p.beep, initialSilenceMs: p.initialSilenceTimeoutMs,
      endSilenceMs: p.endSilenceTimeoutMs, maxDurationMs: p.maxDurationMs, stopTones: p.stopTones,
    });
    const r = await followMedia(ctx, rec);
    const ok = r.reason !== 'failed' && r.reason !== 'closed' && r.reason !== 'cancelled' && r.reason !== 'silence';
    const { token, hash } = newRecordingToken();
    const end = env.clock.now();
    await call.journal.record({
      write: async (tx) => {
        await tx.calls.recordings.update(id, { state: ok ? 'completed' : 'failed', durationMs: r.durationMs ?? null, sizeBytes: r.sizeBytes ?? null, ...(ok ? { accessTokenHash: hash } : {}), updatedAt: end });
      },
      events: [],
    });
    if (r.reason === 'silence') return failure(408, SUBCODE.INITIAL_SILENCE_TIMEOUT, 'nothing was said', { recordingId: id });
    if (!ok) return failure(r.reason === 'cancelled' ? 499 : 500, r.reason === 'cancelled' ? SUBCODE.CANCELLED : SUBCODE.MEDIA_FAILED, `recording ${r.reason}`, { recordingId: id });
    const sub = r.reason === 'stopTone' ? SUBCODE.STOP_TONE : r.reason === 'maxDuration' ? SUBCODE.MAX_DURATION : SUBCODE.OK;
    return success({ recordingId: id, durationMs: r.durationMs ?? 0, sizeBytes: r.sizeBytes ?? 0, reason: r.reason, accessToken: token, ...(r.tone ? { tone: r.tone } : {}) }, 'recorded', sub);
  },
};
