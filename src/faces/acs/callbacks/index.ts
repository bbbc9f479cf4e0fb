// The per-area ACS callback mappers (see CallbackMapper in ../callback-events.ts), tried in
// order after the call/media mapper. A module appends its mapper here.
import type { CallbackMapper } from '../callback-events.ts';
import { recordingCallbacks } from './recording.ts';
import { participantCallbacks } from './participants.ts';
import { transcriptionCallbacks } from './transcription.ts';
import { streamingCallbacks } from './streaming.ts';
import { continuousDtmfCallbacks } from './continuous-dtmf.ts';

export const CALLBACK_MAPPERS: readonly CallbackMapper[] = [
  participantCallbacks,
  streamingCallbacks,
  recordingCallbacks,
  transcriptionCallbacks,
  continuousDtmfCallbacks,
];
