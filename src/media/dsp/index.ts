// Signal processing: resampling and single-frequency analysis.
export * from './goertzel.ts';
export * from './resampler.ts';
export * from './vad.ts';
