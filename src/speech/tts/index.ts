// Text-to-speech: the offline espeak-ng engine, its SSML subset and the prompt cache.
export * from './audio-cache.ts';
export * from './espeak-synthesizer.ts';
export { ssmlToSegments, type Segment } from './ssml.ts';
export * from './resample-prompt.ts';
export * from './command-synthesizer.ts';
