// Recording: crash-safe incremental WAV files (mono mix or stereo caller/bot) with limits.
export * from './wav-recorder.ts';
