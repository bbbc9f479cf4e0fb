// Media streams: WebSocket connections carrying a call's audio (or live transcript) to an
// application, framed by a registered dialect (StreamFramer). Implements core's MediaStreamer.
export { createMediaStreamer, type MediaStreamerOptions } from './media-streamer.ts';
export { type StreamFramer, type InboundStreamMessage, type OutboundAudioFrame, pcmToBuffer, bufferToPcm } from './framer.ts';
export { AudioSendQueue, type FrameSink } from './audio-send-queue.ts';
