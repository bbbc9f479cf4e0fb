// Streaming hook: decoded audio out at 16/24 kHz for a consumer; audio in queued for playout with clear and marks.
export * from './stream-out.ts';
export * from './stream-in.ts';
