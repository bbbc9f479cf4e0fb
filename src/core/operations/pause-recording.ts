// pauseRecording: pauses the call recording (nothing is written while paused; the file and its
// duration skip the pause). Journals recording.stateChanged {recordingId, state: 'paused'}.
// Pausing a paused recording succeeds without a new event. resumeRecording is its mirror.
import { CallError } from '../calls/call-error.ts';
import type { Call } from '../calls/call.ts';
import type { OperationDefinition } from './operation.ts';
import { success } from './operation-result.ts';
import { RecordingSession } from './recording-session.ts';
import { Check } from './validate.ts';

/** The call's running recording; `recordingId`, when given, must be it. */
export function runningRecording(call: Call, recordingId: string | undefined): RecordingSession {
  const s = RecordingSession.of(call);
  if (!s) throw new CallError('INVALID_STATE', `call ${call.id} is not being recorded`);
  if (recordingId !== undefined && recordingId !== s.id) throw new CallError('INVALID_STATE', `recording ${recordingId} is not the running recording of call ${call.id}`);
  return s;
}

export const pauseRecording: OperationDefinition<{ recordingId?: string }> = {
  name: 'pauseRecording',
  eventPrefix: 'pauseRecording',
  events: 'failures',
  validate(params, call) {
    const c = new Check(params);
    c.only(['recordingId']);
    const recordingId = c.str('recordingId');
    c.done();
    runningRecording(call, recordingId);
    return recordingId !== undefined ? { recordingId } : {};
  },
  async start(ctx, p) {
    const s = runningRecording(ctx.call, p.recordingId);
    await s.setPaused(true);
    return success({ recordingId: s.id });
  },
};
