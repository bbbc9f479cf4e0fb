// Codecs: sample-domain encode/decode into caller-provided arrays.
export * from './g711.ts';
export * from './l16.ts';
export * from './opus.ts';
