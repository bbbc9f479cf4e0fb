// Adaptive jitter buffer with loss concealment, in front of recorders, detectors, speech and streaming.
export * from './jitter-buffer.ts';
