// resumeRecording: resumes a paused call recording into the same file. Journals
// recording.stateChanged {recordingId, state: 'active'}; resuming a running recording succeeds
// without a new event. See pause-recording.ts.
import type { OperationDefinition } from './operation.ts';
import { success } from './operation-result.ts';
import { runningRecording } from './pause-recording.ts';
import { Check } from './validate.ts';

export const resumeRecording: OperationDefinition<{ recordingId?: string }> = {
  name: 'resumeRecording',
  eventPrefix: 'resumeRecording',
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
    await s.setPaused(false);
    return success({ recordingId: s.id });
  },
};
