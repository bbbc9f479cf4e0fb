// DTMF: in-band tone detection and RFC 4733 telephone-events.
export * from './inband-detector.ts';
export * from './rfc4733.ts';
