// Speech recognition: the local pocketsphinx engine for choices, keyword spotting.
export * from './pocketsphinx-recognizer.ts';
export { encodeWav16 } from './wav.ts';
export * from './pocketsphinx-transcriber.ts';
export * from './pocketsphinx-pool.ts';
export * from './websocket-transcriber.ts';
