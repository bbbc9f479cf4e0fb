// The media engine core that runs inside a worker: RTP endpoints, the 20 ms ticker, latching,
// DTMF detection/sending. The worker boundary and the main-thread API are in ../worker.
export * from './endpoint-types.ts';
export * from './ticker.ts';
export * from './rtp-latch.ts';
export * from './inbound-ring.ts';
export * from './rtp-endpoint.ts';
export * from './endpoint-codec.ts';
export * from './conference-room.ts';
export * from './fallback-playlist.ts';
export * from './dtmf-detectors.ts';
export * from './dtmf-sender.ts';
export * from './frame-ring.ts';
export * from './relay-endpoint.ts';
export * from './native-pacer.ts';
