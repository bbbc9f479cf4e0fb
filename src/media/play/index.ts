// Players: audio sources for the media engine (WAV prompts from disk or http(s) through a
// size-bounded cache, tones, silence, PCM such as TTS output), joined into playlists with loops.
// Every source implements AudioSource (../audio.ts). read() returns true while it wrote samples
// (the last partial frame zero-padded) and false once nothing is left; close() is O(1), so
// barge-in can stop a source mid-prompt.
export { PlayError } from './play-error.ts';
export type { PlayErrorCode } from './play-error.ts';
export { openPlaylist } from './playlist.ts';
export type { OpenPlaylistOptions, PlayOptions, PlaySpec } from './playlist.ts';
export { PromptCache } from './prompt-cache.ts';
export type { PromptCacheOptions, PromptCacheStats } from './prompt-cache.ts';
export { TONES, ToneSource } from './tone-source.ts';
export type { ToneName, ToneSpec } from './tone-source.ts';
export { PcmSource, SilenceSource } from './pcm-source.ts';
export { decodeWav, readWavInfo, WAVE_FORMAT } from './wav-reader.ts';
export type { DecodedWav, WavInfo } from './wav-reader.ts';
export { resampleOnce } from './resample-once.ts';
export { decodePrompt } from './prompt-loader.ts';
export { fetchBounded } from './fetch-bounded.ts';
