/**
 * Pre-started pocketsphinx_continuous processes for single-utterance transcription (free-form
 * recognize, docs/speech.md "Free-form recognize"). Starting the binary and loading the en-us
 * model (27 MB LM + cmudict) cost ~0.35 s of CPU and 0.4–1 s of wall time per utterance on the
 * loaded test machine before any audio was decoded. The binary loads its model before it reads
 * stdin, so a process started ahead of time sits ready; an utterance then only pays decoding.
 *
 * Why each process serves ONE utterance and is not reused (measured first, in
 * pocketsphinx-pool.test.ts's history): a long-lived process carries state from one utterance to
 * the next (its VAD/feature normalisation), and after a noise-only request the next request's
 * "I would like to pay my bill" came back as "what i do" instead of "i would like i will" — with
 * every `-cmn` setting. A fresh process per utterance hears exactly what the old one-process-per-
 * utterance path heard (deterministic, same bytes in → same text out), only sooner; it also keeps
 * one caller's audio from conditioning another caller's result. Reuse also needed an in-band
 * end-of-request marker; ending stdin (EOF) closes the utterance at once instead.
 *
 * Bounded: at most `size` processes (ready spares + busy ones); requests beyond wait in a queue
 * (at most `maxQueue`, then refused with RECOGNIZER_UNAVAILABLE). After each request a
 * replacement spare is started (off the request's critical path) while fewer than `spares` wait.
 * Idle spares stop after `idleTimeoutMs` and never keep the node's event loop alive. Crash-safe:
 * a spare that died while waiting is discarded and replaced; a process that fails during a
 * request rejects that request (SpeechError RECOGNITION_FAILED / RECOGNIZER_UNAVAILABLE), one
 * that does not finish within `timeoutMs` is killed (TIMEOUT).
 */
import { SpeechError } from '../types.ts';
import { PocketsphinxSession, toEngineAudio, type TranscriberResult } from './pocketsphinx-transcriber.ts';

export interface PocketsphinxPoolOptions {
  /** Default 'pocketsphinx_continuous'. */
  binary?: string;
  /** Extra engine arguments (e.g. ['-lm', path]). Default none. */
  extraArgs?: string[];
  /** Processes at most, ready and busy together. Default 2 (the reference machine's cores). */
  size?: number;
  /** Ready processes kept waiting for the next utterance. Default 1. */
  spares?: number;
  /** A ready process unused for this long is stopped, ms. Default 60,000. */
  idleTimeoutMs?: number;
  /** A request not finished after this fails with TIMEOUT and its process is killed, ms. Default 10,000. */
  timeoutMs?: number;
  /** Requests waiting for a process at most; more are refused (RECOGNIZER_UNAVAILABLE). Default 32. */
  maxQueue?: number;
}

export interface PoolInput {
  rate: number;
  samples: Int16Array;
  /** As TranscriberSessionOptions.bandwidth. Default 'narrow'. */
  bandwidth?: 'narrow' | 'wide';
}

export interface PoolResult {
  /** The finals' texts joined ('' = no words). */
  text: string;
  /** Mean of the finals' confidences; absent without words. */
  confidence?: number;
  /** The engine's finals, offsets from the start of the input. */
  results: TranscriberResult[];
}

interface Job {
  input: PoolInput;
  resolve: (r: PoolResult) => void;
  reject: (e: Error) => void;
}

interface Spare {
  session: PocketsphinxSession;
  idle: NodeJS.Timeout;
  /** Set once the process exited while waiting. */
  failed?: Error;
}

export class PocketsphinxPool {
  private readonly ready: Spare[] = [];
  private busy = 0;
  private readonly queue: Job[] = [];
  private readonly binary: string;
  private readonly extraArgs: string[];
  private readonly size: number;
  private readonly spares: number;
  private readonly idleTimeoutMs: number;
  private readonly timeoutMs: number;
  private readonly maxQueue: number;
  private closed = false;

  constructor(opts: PocketsphinxPoolOptions = {}) {
    this.binary = opts.binary ?? 'pocketsphinx_continuous';
    this.extraArgs = opts.extraArgs ?? [];
    this.size = Math.max(1, opts.size ?? 2);
    this.spares = Math.min(this.size, Math.max(0, opts.spares ?? 1));
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxQueue = opts.maxQueue ?? 32;
  }

  /** Engine processes alive now (ready and busy). */
  get processes(): number {
    return this.ready.length + this.busy;
  }

  /** Starts the spares now, so even the first utterance finds a loaded model. */
  warmUp(): void {
    while (!this.closed && this.ready.length < this.spares && this.processes < this.size) this.startSpare();
  }

  /** One utterance → its finals; rejects with SpeechError when the engine fails or times out. */
  transcribe(input: PoolInput): Promise<PoolResult> {
    if (this.closed) return Promise.reject(new SpeechError('CLOSED', 'transcriber pool closed'));
    if (input.samples.length === 0) return Promise.resolve({ text: '', results: [] });
    return new Promise<PoolResult>((resolve, reject) => {
      if (this.queue.length >= this.maxQueue) {
        reject(new SpeechError('RECOGNIZER_UNAVAILABLE', `all ${this.size} transcriber processes busy and ${this.maxQueue} requests waiting`));
        return;
      }
      this.queue.push({ input, resolve, reject });
      this.dispatch();
    });
  }

  /** Kills the ready processes, refuses queued requests (CLOSED); requests in flight finish. */
  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.queue.splice(0)) j.reject(new SpeechError('CLOSED', 'transcriber pool closed'));
    await Promise.all(this.ready.splice(0).map((s) => {
      clearTimeout(s.idle);
      s.session.keepAlive(true); // else the loop may end before the exit it awaits
      return s.session.close();
    }));
  }

  private startSpare(): void {
    // The pool converts to the engine's 16 kHz itself (toEngineAudio), so the session is the
    // identity path (16 kHz 'wide', no silence gate: recognize trims the utterance already).
    const session = new PocketsphinxSession({ rate: 16000, locale: 'en-US', bandwidth: 'wide' }, this.binary, this.extraArgs, this.timeoutMs, false);
    session.keepAlive(false);
    const spare: Spare = {
      session,
      idle: setTimeout(() => this.drop(spare, true), this.idleTimeoutMs).unref(),
    };
    session.on('error', (e) => { spare.failed = e; });
    session.once('closed', () => this.drop(spare, false));
    this.ready.push(spare);
  }

  /** A ready process exited (or idled out): forget it; replace it when requests wait. */
  private drop(spare: Spare, kill: boolean): void {
    const i = this.ready.indexOf(spare);
    if (i < 0) return;
    this.ready.splice(i, 1);
    clearTimeout(spare.idle);
    if (kill) void spare.session.close();
    // A binary that cannot start must not be restarted in a loop: only pending work restarts it.
    else if (this.queue.length > 0 && spare.failed === undefined) this.dispatch();
    else if (this.queue.length > 0) this.queue.shift()!.reject(spare.failed!);
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed) {
      let spare = this.ready.shift();
      if (!spare) {
        if (this.processes >= this.size) return;
        this.startSpare();
        spare = this.ready.shift()!;
      }
      clearTimeout(spare.idle);
      this.busy++;
      const job = this.queue.shift()!;
      void this.run(spare, job).finally(() => {
        this.busy--;
        this.dispatch();
        this.warmUp();
      });
    }
  }

  private async run(spare: Spare, job: Job): Promise<void> {
    const { session } = spare;
    session.removeAllListeners('closed');
    session.keepAlive(true);
    const finals: TranscriberResult[] = [];
    let failed = spare.failed;
    session.on('result', (r) => finals.push(r));
    session.on('error', (e) => { failed ??= e; });
    try {
      if (!failed) {
        session.write(toEngineAudio(job.input.samples, job.input.rate, job.input.bandwidth ?? 'narrow'));
        // end() kills the process after timeoutMs (endTimeoutMs of the session).
        const t0 = Date.now();
        await session.end();
        if (!failed && Date.now() - t0 >= this.timeoutMs) failed = new SpeechError('TIMEOUT', `no answer from ${this.binary} within ${this.timeoutMs} ms`);
      }
    } catch (e) {
      failed ??= e instanceof Error ? e : new Error(String(e));
    }
    if (failed) return job.reject(failed);
    const conf = finals.filter((f) => f.confidence !== undefined).map((f) => f.confidence!);
    job.resolve({
      text: finals.map((f) => f.text).join(' ').trim(),
      ...(conf.length ? { confidence: Math.round((conf.reduce((a, b) => a + b, 0) / conf.length) * 1000) / 1000 } : {}),
      results: finals,
    });
  }
}
