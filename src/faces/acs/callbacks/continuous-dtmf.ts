// Core continuous-DTMF events → ACS callbacks (vendor-apis.md A.4):
//   continuousDtmf.stopped → ContinuousDtmfRecognitionStopped (resultInformation 200/0)
// dtmf.received → ContinuousDtmfRecognitionToneReceived {tone, sequenceId} is mapped with the
// other media callbacks in ../callback-events.ts; sequenceId is core's per-call `sequence`
// (1, 2, 3 … for the call's life). ContinuousDtmfRecognitionToneFailed is never sent: core has
// no per-digit failure (a digit is heard or not), and starting/stopping fails synchronously
// with an HTTP error instead (operations/continuous-dtmf.ts).
import type { DomainEvent } from '../../../core/index.ts';
import type { AcsCallback, ResultOf } from '../callback-events.ts';

export function continuousDtmfCallbacks(e: DomainEvent, res: ResultOf): AcsCallback {
  if (e.type === 'continuousDtmf.stopped') {
    return { type: 'ContinuousDtmfRecognitionStopped', data: res('Continuous DTMF recognition stopped.') };
  }
  return null;
}
