// Speech ports. They mirror src/speech's Synthesizer and Recognizer structurally (core may not
// import speech/); an instance of speech's classes satisfies these as is.

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
