// startRecording: records the call (mixed, or one channel per direction) on the primary leg's
// endpoint until stopRecording or the end of the call. Journals the recording row with
// recording.stateChanged {state: 'active'}. Options: callbackUrl (where the recording's state
// events go; default the call's), paused (start paused; default false).
import { join } from 'node:path';
import { CallError } from '../calls/call-error.ts';
import type { OperationDefinition } from './operation.ts';
import { success } from './operation-result.ts';
import { targetLegs } from './media.ts';
import { RecordingSession } from './recording-session.ts';
import { Check } from './validate.ts';

export const startRecording: OperationDefinition<{ channels: 1 | 2; format: 'wav'; legId?: string; callbackUrl?: string; paused?: boolean }> = {
  name: 'startRecording',
  eventPrefix: 'startRecording',
  events: 'failures',
  validate(params, call) {
    const c = new Check(params);
    c.only(['channels', 'format', 'legId', 'callbackUrl', 'paused']);
    const channels = c.int('channels', 1, 1, 2) as 1 | 2;
    const format = (c.str('format', { oneOf: ['wav'] }) ?? 'wav') as 'wav';
    const legId = c.str('legId');
    const callbackUrl = c.str('callbackUrl');
    const paused = c.bool('paused', false);
    c.done();
    if (RecordingSession.of(call)) throw new CallError('INVALID_STATE', `call ${call.id} is already being recorded`);
    return { channels, format, ...(legId !== undefined ? { legId } : {}), ...(callbackUrl !== undefined ? { callbackUrl } : {}), ...(paused ? { paused } : {}) };
  },
  async start(ctx, p) {
    const { call, env } = ctx;
    const [leg] = targetLegs(ctx, p.legId, false);
    const id = env.newId();
    const path = join(env.recordingsDir, `${id}.${p.format}`);
    const op = await leg.media.record(path, { format: p.format, channels: p.channels });
    const session = new RecordingSession(id, call, op, env.clock, p.callbackUrl);
    call.recordingIds.push(id);
    const now = env.clock.now();
    await call.journal.record({
      write: async (tx) => {
        await tx.calls.recordings.insert({ id, callId: call.id, applicationId: call.applicationId, path, format: p.format, channels: p.channels, durationMs: null, sizeBytes: null, state: 'recording', accessTokenHash: null, createdAt: now, updatedAt: now });
      },
      events: [call.event('recording.stateChanged', { recordingId: id, state: 'active', startedAt: new Date(session.startedAt).toISOString(), ...(ctx.operationContext !== null ? { operationContext: ctx.operationContext } : {}) })],
      ...session.target(),
    });
    // Paused from the start (ACS pauseOnStart): 'active' then 'paused', as ACS reports it.
    if (p.paused) await session.setPaused(true);
    return success({ recordingId: id });
  },
};
