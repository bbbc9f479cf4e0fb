// Speech layer public face: provider interfaces (Synthesizer, Recognizer, StreamingTranscriber)
// and the local engines behind them. Imports only src/media and src/lib.
export * from './types.ts';
export * from './tts/index.ts';
export * from './asr/index.ts';
