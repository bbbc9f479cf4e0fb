// The audio contracts every part of the media engine shares. Audio inside the engine is
// signed 16-bit PCM, mono, in 20 ms frames at the endpoint's media rate (8000 Hz for
// G.711, 16000 for L16/16000, 48000 for Opus): one frame = rate / 50 samples. Sources fill a
// caller-owned frame; sinks read one. Nothing here allocates per frame.

/** Samples in one 20 ms frame at `rate` Hz. */
export function frameSamples(rate: number): number {
  return rate / 50;
}

/** Something that produces audio one frame at a time (player, tone, TTS, stream input). */
export interface AudioSource {
  /** Sample rate of the frames it produces. */
  readonly rate: number;
  /**
   * Fill `out` (length frameSamples(rate)) with the next 20 ms. Returns false once the source
   * is exhausted (then `out` holds whatever tail was left, zero-padded).
   */
  read(out: Int16Array): boolean;
  /** Release files, buffers, timers. Idempotent. */
  close(): void;
}

/** Something that consumes audio one frame at a time (recorder, detector, stream tap, mixer input). */
export interface AudioSink {
  readonly rate: number;
  /** `frame` is only valid during the call: copy what you keep. */
  write(frame: Int16Array): void;
  close(): void;
}
