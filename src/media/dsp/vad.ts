/**
 * Voice activity detection: the WebRTC VAD (libfvad compiled to WASM, @echogarden/fvad-wasm)
 * per 10/20/30 ms frame, plus hangover smoothing that turns noisy per-frame decisions into two
 * events a call flow can act on: `speech-start` (barge-in, "caller started talking") and
 * `speech-end` (silence timeouts, "caller finished").
 *
 * State machine (one place: `process`):
 *
 *   silent ──(voiced run ≥ startMs)──▶ speaking   emits 'speech-start'
 *   speaking ──(unvoiced run ≥ endMs)──▶ silent   emits 'speech-end'
 *
 * A voiced run is broken by any unvoiced frame, and vice versa, so a click or a short breath
 * does not toggle the state. The first `warmupMs` only train libfvad's noise model (see the
 * option). libfvad has its own internal hangover too (a few frames, more in the lower modes), so
 * 'speech-end' comes endMs plus up to ~100 ms after the last audible sound. The WASM instance and its frame buffer are allocated once in
 * `create`; `process` allocates nothing. Must never be used after `close()`.
 */

/** Aggressiveness: 0 = least (most frames called speech) … 3 = most (fewest false positives in noise). */
export type VadMode = 0 | 1 | 2 | 3;
export type VadRate = 8000 | 16000 | 32000 | 48000;
export type VadEvent = 'speech-start' | 'speech-end';

export interface VadOptions {
  /** Sample rate of the frames given to `process`. */
  rate: VadRate;
  /** WebRTC VAD aggressiveness. Default 2. */
  mode?: VadMode;
  /** Continuous voiced audio needed before 'speech-start'. Default 60 ms. */
  startMs?: number;
  /** Continuous unvoiced audio needed before 'speech-end' (the silence timeout unit). Default 500 ms. */
  endMs?: number;
  /**
   * Audio after create/reset that trains libfvad's noise model but cannot count as voiced: its
   * first frames call almost anything speech (even −60 dBFS white noise or digital silence in modes
   * 0–1 with 30 ms frames: up to ~180 ms). Default 200 ms.
   */
  warmupMs?: number;
}

/** The part of the Emscripten module we use (see node_modules/@echogarden/fvad-wasm/fvad.js exports). */
interface FvadModule {
  _fvad_new(): number;
  _fvad_free(inst: number): void;
  _fvad_reset(inst: number): void;
  _fvad_set_mode(inst: number, mode: number): number;
  _fvad_set_sample_rate(inst: number, rate: number): number;
  _fvad_process(inst: number, frame: number, length: number): number;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAP16: Int16Array;
}

let modulePromise: Promise<FvadModule> | undefined;
// The package ships no type declarations; a non-literal specifier keeps tsc from demanding them.
const FVAD_PACKAGE: string = '@echogarden/fvad-wasm';

/**
 * One WASM module per thread, shared by every Vad in it: each instance is only a small C struct
 * (fvad_new) plus its frame buffer, so thousands of calls cost little memory.
 */
function loadModule(): Promise<FvadModule> {
  modulePromise ??= (import(FVAD_PACKAGE) as Promise<{ default: () => Promise<unknown> }>).then(async (m) => (await m.default()) as FvadModule);
  return modulePromise;
}

export class Vad {
  readonly rate: VadRate;
  readonly mode: VadMode;
  readonly startMs: number;
  readonly endMs: number;
  readonly warmupMs: number;
  private readonly m: FvadModule;
  private inst: number;
  private buf: number;
  private readonly maxSamples: number;
  private voicedMs = 0;
  private unvoicedMs = 0;
  private _speaking = false;
  private elapsedMs = 0;
  /** Decision of the last frame (raw, before smoothing) — for diagnostics and tests. */
  lastFrameVoiced = false;

  private constructor(m: FvadModule, opts: VadOptions) {
    this.m = m;
    this.rate = opts.rate;
    this.mode = opts.mode ?? 2;
    this.startMs = opts.startMs ?? 60;
    this.endMs = opts.endMs ?? 500;
    this.warmupMs = opts.warmupMs ?? 200;
    this.maxSamples = (this.rate * 30) / 1000;
    this.inst = m._fvad_new();
    if (!this.inst) throw new Error('fvad_new failed (out of WASM memory)');
    if (m._fvad_set_sample_rate(this.inst, this.rate) !== 0) {
      m._fvad_free(this.inst);
      throw new RangeError(`VAD rate ${this.rate} not supported (8000, 16000, 32000, 48000)`);
    }
    if (m._fvad_set_mode(this.inst, this.mode) !== 0) {
      m._fvad_free(this.inst);
      throw new RangeError(`VAD mode ${this.mode} not supported (0..3)`);
    }
    this.buf = m._malloc(this.maxSamples * 2);
  }

  static async create(opts: VadOptions): Promise<Vad> {
    return new Vad(await loadModule(), opts);
  }

  /** True between 'speech-start' and 'speech-end'. */
  get speaking(): boolean {
    return this._speaking;
  }

  /**
   * Classify one frame of exactly 10, 20 or 30 ms at `rate` (libfvad accepts nothing else) and
   * return the event it triggers, if any.
   */
  process(frame: Int16Array): VadEvent | undefined {
    if (!this.inst) throw new Error('Vad is closed');
    const n = frame.length;
    const ms = (n * 1000) / this.rate;
    if (ms !== 10 && ms !== 20 && ms !== 30) throw new RangeError(`VAD frame must be 10, 20 or 30 ms, got ${n} samples at ${this.rate} Hz`);
    // HEAP16 is re-read each call: WASM memory growth replaces the view.
    this.m.HEAP16.set(frame, this.buf >> 1);
    const r = this.m._fvad_process(this.inst, this.buf, n);
    if (r < 0) throw new Error('fvad_process failed');
    const warm = this.elapsedMs >= this.warmupMs;
    this.elapsedMs += ms;
    const voiced = r === 1 && warm;
    this.lastFrameVoiced = voiced;
    if (voiced) {
      this.voicedMs += ms;
      this.unvoicedMs = 0;
      if (!this._speaking && this.voicedMs >= this.startMs) {
        this._speaking = true;
        return 'speech-start';
      }
    } else {
      this.unvoicedMs += ms;
      this.voicedMs = 0;
      if (this._speaking && this.unvoicedMs >= this.endMs) {
        this._speaking = false;
        return 'speech-end';
      }
    }
    return undefined;
  }

  /** Milliseconds of unvoiced audio since the last voiced frame (for "no input" timeouts before any speech). */
  get silenceMs(): number {
    return this.unvoicedMs;
  }

  /** Back to the initial state (not speaking), keeping the WASM instance. */
  reset(): void {
    if (!this.inst) throw new Error('Vad is closed');
    // fvad_reset also resets the mode and rate (libfvad API), so set them again.
    this.m._fvad_reset(this.inst);
    this.m._fvad_set_sample_rate(this.inst, this.rate);
    this.m._fvad_set_mode(this.inst, this.mode);
    this.voicedMs = 0;
    this.unvoicedMs = 0;
    this._speaking = false;
    this.lastFrameVoiced = false;
    this.elapsedMs = 0;
  }

  /** Free the WASM instance and buffer. Idempotent. */
  close(): void {
    if (!this.inst) return;
    this.m._fvad_free(this.inst);
    this.m._free(this.buf);
    this.inst = 0;
    this.buf = 0;
  }
}
