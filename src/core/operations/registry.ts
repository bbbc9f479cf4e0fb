// Every operation by name: what CallService.execute() looks up. Adding an operation = one
// file + one line here (+ a row in docs/operations.md).
import { answer } from './answer.ts';
import { createCall } from './create-call.ts';
import { hangup } from './hangup.ts';
import type { OperationDefinition } from './operation.ts';
import { play } from './play.ts';
import { recognize } from './recognize.ts';
import { redirect } from './redirect.ts';
import { reject } from './reject.ts';
import { sendDtmf } from './send-dtmf.ts';
import { cancelAllMediaOperations } from './cancel-all-media.ts';
import { transferBlind } from './transfer-blind.ts';
import { transferConsultative } from './transfer-consultative.ts';
import { recordResponse } from './record-response.ts';
import { startRecording } from './start-recording.ts';
import { stopRecording } from './stop-recording.ts';
import { pauseRecording } from './pause-recording.ts';
import { resumeRecording } from './resume-recording.ts';
import { addParticipant } from './add-participant.ts';
import { cancelAddParticipant } from './cancel-add-participant.ts';
import { removeParticipant } from './remove-participant.ts';
import { moveParticipant } from './move-participant.ts';
import { muteParticipant, unmuteParticipant } from './mute-participant.ts';
import { hold, unhold } from './hold.ts';
import { startMediaStreaming, stopMediaStreaming } from './media-streaming.ts';
import { startContinuousDtmf, stopContinuousDtmf } from './continuous-dtmf.ts';
import { startTranscription, stopTranscription, updateTranscription } from './transcription.ts';

export const OPERATIONS: ReadonlyMap<string, OperationDefinition<any>> = new Map<string, OperationDefinition<any>>([
  answer, reject, redirect, hangup, play, recognize, createCall, sendDtmf, cancelAllMediaOperations, transferBlind, transferConsultative,
  recordResponse, startRecording, stopRecording, pauseRecording, resumeRecording,
  addParticipant, cancelAddParticipant, removeParticipant, muteParticipant, unmuteParticipant, hold, unhold,
  moveParticipant,
  startMediaStreaming, stopMediaStreaming,
  startContinuousDtmf, stopContinuousDtmf,
  startTranscription, stopTranscription, updateTranscription,
].map((d) => [d.name, d]));
