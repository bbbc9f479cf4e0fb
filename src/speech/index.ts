// Speech layer public face: provider interfaces (Synthesizer, Recognizer; the Transcriber port is core's)
// and the local engines behind them. Imports only src/media and src/lib.
export * from './types.ts';
export * from './tts/index.ts';
export * from './asr/index.ts';
