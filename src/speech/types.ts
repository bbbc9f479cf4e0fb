/**
 * The speech provider contracts (docs/media-design: "Interfaces between owners"). Call flows and
 * the media engine depend only on these; the local engines (espeak-ng WASM, pocketsphinx) are one
 * implementation each, and a hosted engine is another class implementing the same interface.
 */

export interface SynthesisRequest {
  /** Plain text. Exactly one of text / ssml. */
  text?: string;
  /** SSML (subset: speak, break, say-as digits|telephone|characters, prosody rate; see docs/speech.md). */
  ssml?: string;
  /** Engine voice id (espeak-ng: 'en-us', 'de', 'cmn', 'en-us+f3' …). Wins over `language`. */
  voice?: string;
  /** BCP 47 language ('en-US', 'de-DE', 'zh-CN' …), mapped to the engine's default voice for it. */
  language?: string;
  /** Speaking-rate factor: 1 = the engine's normal rate (espeak-ng 175 words/min). Default 1. */
  rate?: number;
}

export interface SynthesisResult {
  /** Sample rate of `samples` (espeak-ng: 22050). Resample once at load to the call's media rate. */
  rate: number;
  /** Mono signed 16-bit PCM. Shared with the cache: treat as read-only. */
  samples: Int16Array;
  /** True when served from the memory or disk cache without running the engine. */
  cached: boolean;
}

export interface Synthesizer {
  synthesize(req: SynthesisRequest): Promise<SynthesisResult>;
}

export interface Choice {
  /** What the flow gets back ('sales'). */
  label: string;
  /** What the caller may say for it ('sales', 'talk to sales'). */
  phrases: string[];
}

export interface ChoiceResult {
  /** The matched choice, or undefined when nothing in the grammar was heard. */
  label?: string;
  /** The phrase as recognized (lower case). */
  phrase?: string;
  /** 0..1 when the engine reports one. */
  confidence?: number;
}

export interface Recognizer {
  recognizeChoices(audio: { rate: number; samples: Int16Array }, choices: Choice[]): Promise<ChoiceResult>;
}

/** Errors of the speech layer carry a stable code. */
export type SpeechErrorCode =
  | 'UNKNOWN_VOICE'
  | 'BAD_REQUEST'
  | 'BAD_SSML'
  | 'SYNTHESIS_FAILED'
  | 'UNKNOWN_WORDS'
  | 'RECOGNIZER_UNAVAILABLE'
  | 'RECOGNITION_FAILED'
  | 'TIMEOUT'
  | 'CLOSED';

export class SpeechError extends Error {
  readonly code: SpeechErrorCode;
  constructor(code: SpeechErrorCode, message: string) {
    super(message);
    this.name = 'SpeechError';
    this.code = code;
  }
}
