// The core layer's public face: the call model, operations, ports and events. Other layers
// import core only through this file. Append export lines; never reorder.
export * from './events/index.ts';
export * from './tenancy/index.ts';
export * from './ports/index.ts';
export * from './calls/index.ts';
export * from './operations/index.ts';
export * from './cdr/index.ts';
