// stopRecording: stops the call recording (recording.stateChanged {state: 'stopped'}).
// pauseRecording / resumeRecording are in their own files.
import { CallError } from '../calls/call-error.ts';
import type { OperationDefinition } from './operation.ts';
import { success } from './operation-result.ts';
import { RecordingSession } from './recording-session.ts';
import { Check } from './validate.ts';

export const stopRecording: OperationDefinition<Record<string, never>> = {
  name: 'stopRecording',
  eventPrefix: 'stopRecording',
  events: 'failures',
  validate(params, call) {
    const c = new Check(params);
    c.only([]);
    c.done();
    if (!RecordingSession.of(call)) throw new CallError('INVALID_STATE', `call ${call.id} is not being recorded`);
    return {};
  },
  async start(ctx) {
    const s = RecordingSession.of(ctx.call);
    if (!s) throw new CallError('INVALID_STATE', 'not being recorded');
    await s.cancel();
    return success({ recordingId: s.id });
  },
};
