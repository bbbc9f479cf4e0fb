/**
 * Local, offline free-form transcription (docs/speech.md "Live transcription"): CMU PocketSphinx
 * 0.8+5prealpha (`pocketsphinx_continuous`, Debian pocketsphinx + pocketsphinx-en-us) with its
 * general English trigram model (en-us.lm.bin) and cmudict, as ONE long-lived process per session
 * reading raw 16 kHz PCM from stdin (`-infile /dev/stdin`: this build has no -help and no raw-stdin
 * flag, but reading a non-.wav path takes the raw path of continuous.c). Its VAD cuts the stream
 * into utterances; at each utterance end it prints the hypothesis and, with `-time yes`, one line
 * per word "word start end posterior" (seconds from the start of the stream). Results therefore
 * arrive while the caller speaks, one FINAL per utterance.
 *
 * What it cannot do (measured, docs/speech.md): it gives no intermediate results (the binary
 * prints only utterance-final hypotheses); its accuracy on telephone speech is poor — on
 * espeak-ng speech through G.711 µ-law, 6 sentences × 2 rates, word accuracy 19–27 % with
 * spectral folding and 0–14 % with clean resampling (wideband input without G.711: 16–24 %).
 * Short common phrases ("i would like", "i need help with my", "tomorrow") come through; content
 * words often do not. It is a default that works offline, not a replacement for a hosted engine.
 * Only en-US is installed: other locales are refused (SpeechError BAD_REQUEST).
 *
 * Narrowband treatment (same finding as pocketsphinx-recognizer.ts): the acoustic model is
 * wideband; telephone audio has nothing above 4 kHz. 8 kHz input is folded to 16 kHz. 16 kHz
 * input from a narrowband call (a tap at 16 kHz of a G.711 leg) is first decimated to 8 kHz
 * (safe: it has no energy above 4 kHz) and then folded, unless `bandwidth: 'wide'`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { SpeechError } from '../types.ts';
import { foldUpsample, to16k } from './pocketsphinx-recognizer.ts';
import { SilenceGate, type SilenceGateOptions } from './silence-gate.ts';
import { PocketsphinxPool, type PocketsphinxPoolOptions } from './pocketsphinx-pool.ts';
import { transcribeUtterance } from './utterance.ts';

/** One result, structurally the core port's TranscriptResult (offsets from the session start). */
export interface TranscriberResult {
  text: string;
  final: boolean;
  confidence?: number;
  offsetMs: number;
  durationMs: number;
  words?: { text: string; offsetMs: number; durationMs: number }[];
}

export interface TranscriberSessionOptions {
  /** Rate of the samples written (8000, 16000, 24000 …). */
  rate: number;
  /** BCP 47. Default 'en-US' (the only one installed). */
  locale?: string;
  /**
   * 'narrow': the audio came from a telephone codec (fold the 0–4 kHz band up, see above);
   * 'wide': it carries real content above 4 kHz (G.722/Opus legs). Default 'narrow'.
   */
  bandwidth?: 'narrow' | 'wide';
}

export interface PocketsphinxTranscriberOptions {
  /** Default 'pocketsphinx_continuous'. */
  binary?: string;
  /** Extra arguments (e.g. ['-lm', path] for another language model, ['-hmm', dir]). Default none. */
  extraArgs?: string[];
  /** How long end() waits for the last result before killing the process. Default 10,000 ms. */
  endTimeoutMs?: number;
  /**
   * Near-digital silence dropped before the engine (silence-gate.ts; offsets stay stream times),
   * or false to give the engine every sample. Default {keepMs: 250, passMs: 1000}.
   */
  silenceGate?: Omit<SilenceGateOptions, 'rate'> | false;
  /**
   * Pre-started processes for single utterances (transcribeUtterance, used by free-form
   * recognize); false starts one process per utterance when it arrives. Default {size: 2,
   * spares: 1, idleTimeoutMs: 60,000, timeoutMs: 10,000} (pocketsphinx-pool.ts).
   */
  pool?: Omit<PocketsphinxPoolOptions, 'binary' | 'extraArgs'> | false;
}

const WORD_LINE = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) ([\d.eE+-]+)$/;
/** Words of -time output that are not speech: sentence marks, silence, fillers ([NOISE], ++UM++). */
const isFiller = (w: string): boolean => w === '<s>' || w === '</s>' || w === '<sil>' || w.startsWith('[') || w.startsWith('++');

/** Parses pocketsphinx_continuous -time yes output, line by line, into one result per utterance. */
export class PocketsphinxOutputParser {
  private hyp: string | undefined;
  private words: { text: string; start: number; end: number; p: number }[] = [];

  /** Feeds one line; returns the utterance's result when the line ends one. */
  line(raw: string): TranscriberResult | undefined {
    const l = raw.trim();
    if (!l) return undefined;
    const m = WORD_LINE.exec(l);
    if (!m) {
      this.hyp = l;
      this.words = [];
      return undefined;
    }
    const text = m[1]!.replace(/\(\d+\)$/, '');
    this.words.push({ text, start: Number(m[2]), end: Number(m[3]), p: Number(m[4]) });
    if (text !== '</s>') return undefined;
    const spoken = this.words.filter((w) => !isFiller(w.text));
    this.words = [];
    const hyp = this.hyp ?? spoken.map((w) => w.text).join(' ');
    this.hyp = undefined;
    if (spoken.length === 0 || !hyp) return undefined;
    const first = spoken[0]!;
    const last = spoken[spoken.length - 1]!;
    return {
      text: hyp,
      final: true,
      // The mean word posterior: pocketsphinx's own per-word confidence, averaged.
      confidence: Math.round((spoken.reduce((s, w) => s + Math.min(1, w.p), 0) / spoken.length) * 1000) / 1000,
      offsetMs: Math.round(first.start * 1000),
      durationMs: Math.round((last.end - first.start) * 1000),
      words: spoken.map((w) => ({ text: w.text, offsetMs: Math.round(w.start * 1000), durationMs: Math.round((w.end - w.start) * 1000) })),
    };
  }
}

interface SessionEvents {
  result: [TranscriberResult];
  error: [Error];
  closed: [];
}

/** One live transcription: write() audio as it comes, 'result' per utterance, end() flushes. */
export class PocketsphinxSession extends EventEmitter<SessionEvents> {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly parser = new PocketsphinxOutputParser();
  private readonly exited: Promise<void>;
  private open = true;
  private stderr = '';
  private readonly gate: SilenceGate | undefined;

  constructor(
    private readonly opts: Required<TranscriberSessionOptions>,
    binary: string,
    extraArgs: string[],
    private readonly endTimeoutMs: number,
    gate: Omit<SilenceGateOptions, 'rate'> | false = {},
  ) {
    super();
    this.gate = gate === false ? undefined : new SilenceGate({ ...gate, rate: opts.rate });
    // Node's stdin pipe is a socketpair, which the binary's fopen("/dev/stdin") refuses (exit 1):
    // `cat |` gives it a real pipe. The shell and both children form one process group (detached),
    // killed together.
    const args = ['-infile', '/dev/stdin', '-time', 'yes', '-logfn', '/dev/null', ...extraArgs];
    this.child = spawn('/bin/sh', ['-c', 'cat | exec "$0" "$@"', binary, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let buf = '';
    this.child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const r = this.parser.line(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (r) this.emit('result', this.streamTimes(r));
      }
    });
    this.child.stderr.on('data', (d: Buffer) => {
      if (this.stderr.length < 2048) this.stderr += d.toString();
    });
    // A write after the process died must not crash the node: EPIPE is reported once as 'error'.
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err: NodeJS.ErrnoException) => {
        this.open = false;
        this.fail(err.code === 'ENOENT'
          ? new SpeechError('RECOGNIZER_UNAVAILABLE', `${binary} not found (apt-get install pocketsphinx pocketsphinx-en-us)`)
          : new SpeechError('RECOGNITION_FAILED', err.message));
        resolve();
      });
      this.child.on('close', (code, signal) => {
        const wasOpen = this.open;
        this.open = false;
        if (wasOpen && signal === null && code === 127) this.fail(new SpeechError('RECOGNIZER_UNAVAILABLE', `${binary} not found (apt-get install pocketsphinx pocketsphinx-en-us)`));
        else if (wasOpen && signal === null && code !== 0) this.fail(new SpeechError('RECOGNITION_FAILED', `${binary} exited with ${code}: ${this.stderr.slice(0, 300)}`));
        this.emit('closed');
        resolve();
      });
    });
  }

  /** 'error' without a listener would throw in the emitter: a failed engine must not take the node down. */
  private fail(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  /** False once the process has exited or the session was ended/closed. */
  get alive(): boolean {
    return this.open;
  }

  /**
   * Whether the process keeps the node's event loop alive (default true). A pre-started spare
   * (pocketsphinx-pool.ts) waits unref'd so an idle node can exit.
   */
  keepAlive(on: boolean): void {
    for (const h of [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as unknown as { ref?: () => void; unref?: () => void }[]) {
      if (on) h.ref?.();
      else h.unref?.();
    }
  }

  /** The engine's times (audio it was given) → times since the session's first sample. */
  private streamTimes(r: TranscriberResult): TranscriberResult {
    const g = this.gate;
    if (!g || g.droppedMs === 0) return r;
    const map = (start: number, dur: number): { offsetMs: number; durationMs: number } => {
      const offsetMs = Math.round(g.toStreamMs(start));
      return { offsetMs, durationMs: Math.round(g.toStreamMs(start + dur)) - offsetMs };
    };
    return { ...r, ...map(r.offsetMs, r.durationMs), ...(r.words ? { words: r.words.map((w) => ({ text: w.text, ...map(w.offsetMs, w.durationMs) })) } : {}) };
  }

  /** PCM 16-bit mono at the session's rate; ignored once ended. */
  write(samples: Int16Array): void {
    if (!this.open || samples.length === 0) return;
    const kept = this.gate ? this.gate.push(samples) : samples;
    if (kept.length === 0) return;
    const pcm = this.to16k(kept);
    this.child.stdin.write(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  }

  /** Ends the audio; resolves after the last utterance's result (or endTimeoutMs). */
  async end(): Promise<void> {
    if (this.open) {
      // Trailing silence lets the VAD close an utterance still in progress the normal way.
      this.child.stdin.write(Buffer.alloc(16000 * 2));
      this.child.stdin.end();
    }
    const timer = setTimeout(() => this.kill(), this.endTimeoutMs);
    await this.exited;
    clearTimeout(timer);
    this.open = false;
  }

  /** Stops at once; results not yet printed are lost. */
  async close(): Promise<void> {
    this.open = false;
    this.kill();
    await this.exited;
  }

  private kill(): void {
    try {
      if (this.child.pid !== undefined) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private to16k(x: Int16Array): Int16Array {
    return toEngineAudio(x, this.opts.rate, this.opts.bandwidth);
  }
}

/** Input at `rate` → the engine's 16 kHz, with the narrowband treatment described at the top. */
export function toEngineAudio(x: Int16Array, rate: number, bandwidth: 'narrow' | 'wide'): Int16Array {
  if (bandwidth === 'narrow' && rate === 16000) {
    const nb = new Int16Array(x.length >> 1);
    for (let i = 0; i < nb.length; i++) nb[i] = x[2 * i]!;
    return foldUpsample(nb);
  }
  return to16k({ rate, samples: x }, bandwidth === 'narrow' ? 'fold' : 'resample');
}

/** The local free-form engine: a factory of sessions (the core Transcriber port). */
export class PocketsphinxTranscriber {
  readonly binary: string;
  readonly extraArgs: string[];
  readonly endTimeoutMs: number;
  readonly silenceGate: Omit<SilenceGateOptions, 'rate'> | false;
  /** Locales the installed model covers. */
  readonly locales = ['en-US'];

  constructor(opts: PocketsphinxTranscriberOptions = {}) {
    this.binary = opts.binary ?? 'pocketsphinx_continuous';
    this.extraArgs = opts.extraArgs ?? [];
    this.endTimeoutMs = opts.endTimeoutMs ?? 10_000;
    this.silenceGate = opts.silenceGate ?? { keepMs: 250, passMs: 1000 };
    this.poolOptions = opts.pool ?? {};
  }

  private readonly poolOptions: Omit<PocketsphinxPoolOptions, 'binary' | 'extraArgs'> | false;
  private pool: PocketsphinxPool | undefined;

  private checkLocale(locale: string): void {
    if (!this.locales.some((l) => l.toLowerCase() === locale.toLowerCase())) {
      throw new SpeechError('BAD_REQUEST', `locale ${locale} is not installed for the local transcriber (only ${this.locales.join(', ')})`);
    }
  }

  /**
   * One whole utterance → its text (the finals joined) and mean confidence, through a warm process
   * of the pool (or a one-off session with `pool: false`). Rejects with SpeechError.
   */
  async transcribeUtterance(input: { rate: number; samples: Int16Array; locale?: string; bandwidth?: 'narrow' | 'wide' }): Promise<{ text: string; confidence?: number }> {
    this.checkLocale(input.locale ?? 'en-US');
    if (this.poolOptions === false) return transcribeUtterance(this.startSession(input), input.samples); // a fresh process per utterance
    this.pool ??= new PocketsphinxPool({ ...this.poolOptions, binary: this.binary, extraArgs: this.extraArgs });
    const r = await this.pool.transcribe({ rate: input.rate, samples: input.samples, bandwidth: input.bandwidth ?? 'narrow' });
    return { text: r.text, ...(r.confidence !== undefined ? { confidence: r.confidence } : {}) };
  }

  /** Starts a spare process now (e.g. when a recognition starts), so the utterance does not pay the model load. */
  warmUp(): void {
    if (this.poolOptions === false) return;
    this.pool ??= new PocketsphinxPool({ ...this.poolOptions, binary: this.binary, extraArgs: this.extraArgs });
    this.pool.warmUp();
  }

  /** Stops the warm processes (sessions are owned by their callers). */
  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }

  startSession(opts: TranscriberSessionOptions): PocketsphinxSession {
    const locale = opts.locale ?? 'en-US';
    this.checkLocale(locale);
    return new PocketsphinxSession({ rate: opts.rate, locale, bandwidth: opts.bandwidth ?? 'narrow' }, this.binary, this.extraArgs, this.endTimeoutMs, this.silenceGate);
  }
}
