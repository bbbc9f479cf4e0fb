/**
 * Offline text-to-speech: eSpeak NG compiled to WebAssembly, run in ONE worker thread
 * (espeak-worker.mjs) that handles requests in order, so the main thread's event loop (SIP, HTTP,
 * the media engine's control) never waits on synthesis. Results are cached by (text or SSML,
 * voice, rate) in an AudioCache; concurrent requests for the same prompt share one synthesis.
 * Output is mono Int16 at 22050 Hz: callers resample once to the call's media rate.
 *
 * Lifecycle: the worker starts on the first request (or `warmUp()`), is unref'd while idle so it
 * never keeps the process alive, and is terminated by `close()`, after which requests reject.
 */
import { Worker } from 'node:worker_threads';
import { AudioCache, type AudioCacheOptions } from './audio-cache.ts';
import { resamplePrompt } from './resample-prompt.ts';
import { ssmlToSegments, type Segment } from './ssml.ts';
import { SpeechError, type SynthesisRequest, type SynthesisResult, type Synthesizer } from '../types.ts';

export interface EspeakSynthesizerOptions {
  /** Voice when a request names neither voice nor language. Default 'en-us'. */
  defaultVoice?: string;
  /** Words per minute at rate 1. Default 175 (espeak-ng's own default). */
  wordsPerMinute?: number;
  /** Cache settings, or an AudioCache shared with others. Default: 32 MiB in memory, no disk. */
  cache?: AudioCacheOptions | AudioCache;
  /** Longest text accepted (characters). Default 5000. */
  maxChars?: number;
  /** Rate of the returned audio; espeak-ng's 22050 Hz is converted once per prompt (then cached). Default 22050. */
  outputRate?: number;
}

export interface VoiceInfo {
  /** espeak-ng identifier, e.g. 'gmw/en-US'. */
  id: string;
  name: string;
  /** Language names it answers to, e.g. ['en-us', 'en']: any of these works as `voice`. */
  languages: string[];
}

/** Worker replies (see espeak-worker.mjs). */
type WorkerReply =
  | { id: number; ok: true; rate: number; samples: Int16Array; cpuMs: number }
  | { id: number; ok: true; voices: VoiceInfo[] }
  | { id: number; ok: false; code: string; error: string };

/** BCP 47 → espeak-ng voice where the plain lower-cased tag is not itself a voice name. */
const LANGUAGE_ALIASES: Record<string, string> = {
  zh: 'cmn', 'zh-cn': 'cmn', 'zh-hans': 'cmn', 'zh-tw': 'cmn', 'zh-hk': 'yue', 'cmn-cn': 'cmn',
  en: 'en-us', 'en-us': 'en-us', 'en-gb': 'en', 'de-de': 'de', 'fr-fr': 'fr', 'es-es': 'es', 'es-mx': 'es-419',
  'it-it': 'it', 'pt-br': 'pt-br', 'pt-pt': 'pt', 'nl-nl': 'nl', 'ru-ru': 'ru', 'ja-jp': 'ja', 'pl-pl': 'pl',
};

const WORKER_URL = new URL('./espeak-worker.mjs', import.meta.url);

export class EspeakSynthesizer implements Synthesizer {
  readonly defaultVoice: string;
  readonly wordsPerMinute: number;
  readonly cache: AudioCache;
  readonly maxChars: number;
  readonly outputRate: number;
  /** Synthesis runs (cache misses) since construction — for metrics and tests. */
  synthesisCount = 0;
  /** Worker CPU time spent synthesizing, ms. */
  synthesisMs = 0;
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
  private readonly inflight = new Map<string, Promise<SynthesisResult>>();
  private closed = false;

  constructor(opts: EspeakSynthesizerOptions = {}) {
    this.defaultVoice = opts.defaultVoice ?? 'en-us';
    this.wordsPerMinute = opts.wordsPerMinute ?? 175;
    this.cache = opts.cache instanceof AudioCache ? opts.cache : new AudioCache(opts.cache);
    this.maxChars = opts.maxChars ?? 5000;
    this.outputRate = opts.outputRate ?? 22050;
  }

  /** Start the worker and load the WASM module (≈ 0.2 s) ahead of the first prompt. */
  async warmUp(): Promise<void> {
    await this.start();
  }

  async synthesize(req: SynthesisRequest): Promise<SynthesisResult> {
    if (this.closed) throw new SpeechError('CLOSED', 'synthesizer is closed');
    const { body, rate } = checkSynthesisRequest(req, this.maxChars);
    const voice = voiceFor(req, this.defaultVoice);
    // Parse before the cache lookup so malformed SSML fails the same way every time.
    const segments: Segment[] = req.ssml !== undefined ? ssmlToSegments(req.ssml, rate) : [{ kind: 'text', text: req.text!, rate }];
    const key = JSON.stringify([req.ssml !== undefined ? 'ssml' : 'text', body, voice, rate, this.outputRate]);
    const hit = await this.cache.get(key);
    if (hit) return { rate: hit.rate, samples: hit.samples, cached: true };
    const running = this.inflight.get(key);
    if (running) return running;
    const p = this.run(key, voice, segments).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** Voices the WASM build carries (≈ 140; see docs/speech.md for the ones we checked). */
  async voices(): Promise<VoiceInfo[]> {
    const r = await this.call({ op: 'voices' });
    if (!r.ok || !('voices' in r)) throw new SpeechError('SYNTHESIS_FAILED', 'voice list failed');
    return r.voices;
  }

  /** Terminate the worker; pending requests reject with CLOSED. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(new SpeechError('CLOSED', 'synthesizer closed'));
    this.pending.clear();
    if (w) await w.terminate();
  }

  private async run(key: string, voice: string, segments: Segment[]): Promise<SynthesisResult> {
    const r = await this.call({
      voice,
      segments: segments.map((s) => (s.kind === 'break' ? s : { kind: 'text', text: s.text, wpm: s.rate * this.wordsPerMinute })),
    });
    if (!r.ok) throw new SpeechError(r.code === 'UNKNOWN_VOICE' ? 'UNKNOWN_VOICE' : 'SYNTHESIS_FAILED', r.error);
    if (!('samples' in r)) throw new SpeechError('SYNTHESIS_FAILED', 'unexpected worker reply');
    this.synthesisCount++;
    this.synthesisMs += r.cpuMs;
    const audio = r.rate === this.outputRate ? { rate: r.rate, samples: r.samples } : { rate: this.outputRate, samples: resamplePrompt(r.samples, r.rate, this.outputRate) };
    await this.cache.set(key, audio);
    return { ...audio, cached: false };
  }

  private start(): Promise<void> {
    if (this.closed) return Promise.reject(new SpeechError('CLOSED', 'synthesizer is closed'));
    this.ready ??= new Promise<void>((resolve, reject) => {
      const w = new Worker(WORKER_URL);
      this.worker = w;
      w.unref();
      w.on('message', (msg: WorkerReply | { ready: true }) => {
        if ('ready' in msg) return resolve();
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (this.pending.size === 0) w.unref();
        p.resolve(msg);
      });
      const fail = (err: Error) => {
        // A dead worker fails everything queued on it; the next request starts a fresh one.
        this.worker = undefined;
        this.ready = undefined;
        for (const p of this.pending.values()) p.reject(new SpeechError('SYNTHESIS_FAILED', `espeak worker: ${err.message}`));
        this.pending.clear();
        reject(err);
      };
      w.on('error', fail);
      w.on('exit', (code) => {
        if (!this.closed && this.worker === w) fail(new Error(`exited with code ${code}`));
      });
    });
    return this.ready;
  }

  private async call(msg: Record<string, unknown>): Promise<WorkerReply> {
    await this.start();
    const w = this.worker;
    if (!w) throw new SpeechError('CLOSED', 'synthesizer is closed');
    const id = this.nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Referenced while work is pending so an awaiting caller is not left hanging at exit.
      w.ref();
      w.postMessage({ ...msg, id });
    });
  }
}

/** A synthesis request's common checks (every synthesizer): exactly one of text or ssml, at most `maxChars`, rate in (0.2, 4]. Throws SpeechError BAD_REQUEST. */
export function checkSynthesisRequest(req: SynthesisRequest, maxChars: number): { body: string; rate: number } {
  if ((req.text === undefined) === (req.ssml === undefined)) throw new SpeechError('BAD_REQUEST', 'give exactly one of text or ssml');
  const body = req.text ?? req.ssml ?? '';
  if (body.length > maxChars) throw new SpeechError('BAD_REQUEST', `text longer than ${maxChars} characters`);
  const rate = req.rate ?? 1;
  if (!(rate > 0.2 && rate <= 4)) throw new SpeechError('BAD_REQUEST', `rate ${rate} out of range (0.2, 4]`);
  return { body, rate };
}

/** The espeak-ng voice for a request: explicit voice, else the language mapped, else the default. */
export function voiceFor(req: Pick<SynthesisRequest, 'voice' | 'language'>, fallback: string): string {
  if (req.voice) return req.voice;
  if (req.language) {
    const tag = req.language.toLowerCase().replace(/_/g, '-');
    return LANGUAGE_ALIASES[tag] ?? tag;
  }
  return fallback;
}
