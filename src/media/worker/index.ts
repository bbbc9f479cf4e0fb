// The worker-thread boundary of the media engine: MediaEngine (main thread) and its endpoint handles.
export * from './media-engine.ts';
export * from './media-endpoint-handle.ts';
export * from './conference-handle.ts';
export * from './port-allocator.ts';
export type * from './protocol.ts';
export * from './media-health.ts';
