// Speech ports. They mirror src/speech's Synthesizer and Recognizer structurally (core may not
// import speech/); an instance of speech's classes satisfies these as is.
import type { TypedEmitter } from './channel.ts';
import type { TranscriptResult } from './media-stream.ts';

export interface SynthesisRequest {
  /** Plain text (exactly one of text/ssml). */
  text?: string;
  ssml?: string;
  /** Default: the engine's default voice. */
  voice?: string;
  /** BCP 47; default 'en-US'. */
  language?: string;
  /** Output rate; default the engine's native rate. */
  rate?: number;
}

export interface SynthesisResult {
  rate: number;
  samples: Int16Array;
  /** True when it came from the cache (counted in CDR TTS usage). */
  cached: boolean;
}

export interface Synthesizer {
  synthesize(req: SynthesisRequest): Promise<SynthesisResult>;
}

export interface Choice {
  label: string;
  phrases: string[];
}

export interface ChoiceResult {
  /** Undefined when nothing matched. */
  label?: string;
  phrase?: string;
  confidence?: number;
}

export interface Recognizer {
  recognizeChoices(audio: { rate: number; samples: Int16Array }, choices: Choice[]): Promise<ChoiceResult>;
}

/**
 * Free-form transcription of a live audio stream (live transcription, free-form recognize). The
 * local implementation is speech/'s PocketsphinxTranscriber; a hosted provider is another class
 * with this shape, selected by configuration (docs/speech.md "Hosted providers").
 */
export interface Transcriber {
  /** Throws when the locale is not available. */
  startSession(opts: { rate: number; locale?: string; bandwidth?: 'narrow' | 'wide' }): TranscriberSession;
  /** Optional fast path for one whole utterance (free-form recognize); without it a session is used. */
  transcribeUtterance?(input: { rate: number; samples: Int16Array; locale?: string }): Promise<{ text: string; confidence?: number }>;
  /** Optional: get ready for an utterance soon (e.g. start an engine process) — a hint, never required. */
  warmUp?(): void;
}

export interface TranscriberSessionEvents {
  /** Offsets from the session's first sample; `participant` is set by the caller, not the engine. */
  result: [TranscriptResult];
  error: [Error];
  /** The engine stopped (after end(), close() or a failure). */
  closed: [];
}

/** One stream: write() audio as it arrives, results as the engine has them, end() flushes. */
export interface TranscriberSession extends TypedEmitter<TranscriberSessionEvents> {
  write(samples: Int16Array): void;
  /** Resolves after the last result of the audio written. */
  end(): Promise<void>;
  /** Stops at once, dropping pending results. */
  close(): Promise<void>;
}
