// Core's ports: what core needs from the world (signaling, media, speech, mixing, time). The
// adapters implement them; server/ wires the implementations in.
export type { Participant } from './participant.ts';
export { participantKey, participantProblem } from './participant.ts';
export type {
  Channel, ChannelEvents, ChannelFactory, DialOptions, DialedLeg, HangupInfo, RejectReason, ReferOutcome, TypedEmitter,
} from './channel.ts';
export type {
  MediaEndpoint, MediaEndpointEvents, MediaOperation, MediaResult, MediaStats, PlayItem, PlayOptions, RecordOptions,
  RecordingOperation, TapOptions, AudioTap, AudioTapEvents,
} from './media-endpoint.ts';
export type { Synthesizer, SynthesisRequest, SynthesisResult, Recognizer, Choice, ChoiceResult } from './speech.ts';
export type { Transcriber, TranscriberSession, TranscriberSessionEvents } from './speech.ts';
export type { Mixer, MixerFactory } from './mixer.ts';
export type { Clock, TimerHandle } from '../../lib/index.ts';
export type {
  MediaStreamer, StreamConnectRequest, StreamConnection, StreamConnectionEvents, TranscriptResult,
} from './media-stream.ts';
