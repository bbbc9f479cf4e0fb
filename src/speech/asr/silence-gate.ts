/**
 * Drops long runs of near-digital silence from a stream before it reaches the local transcriber,
 * and maps the engine's times (which count only the audio it was given) back to stream times.
 *
 * Why: pocketsphinx_continuous mis-hears the FIRST utterance of a stream that starts with ~2 s of
 * the media engine's idle signal (±8 LSB) right before the speech — measured: "i i hope" or
 * "you oh" instead of "i would like i will" (src/speech/asr/pocketsphinx-transcriber.test.ts);
 * with the silence cut to 250 ms the first utterance is heard like the later ones. A caller who
 * stays silent while the bot greets first produces exactly such a stream.
 *
 * Rule, per 20 ms frame of the input (RMS under `thresholdRms` = silent):
 *   - before the first loud frame, only the last `keepMs` of silence are kept (the rest dropped);
 *   - after speech, a silent run passes through for `passMs` (long enough for the engine's own
 *     VAD to close the utterance, pocketsphinx needs 0.5 s) and from then on only `keepMs` of it
 *     reaches the engine when speech resumes.
 * The threshold is the same as recognize's trimSilence (RMS 64 ≈ −54 dBFS): only near-digital
 * silence is dropped, so a line with real background noise passes untouched.
 */

export interface SilenceGateOptions {
  /** Input sample rate. */
  rate: number;
  /** Frames with RMS under this are silent. Default 64 (≈ −54 dBFS). */
  thresholdRms?: number;
  /** Silence kept right before speech, ms (rounded down to whole 20 ms frames). Default 250 (→ 240). */
  keepMs?: number;
  /**
   * Silence after speech passed before dropping starts, ms; Infinity drops leading silence only.
   * Default 1000 (0.5 s engine VAD end + margin).
   */
  passMs?: number;
}

/** One dropped span: at engine time `atMs` (ms of audio passed before it), `droppedMs` in total so far. */
interface Cut {
  atMs: number;
  droppedMs: number;
}

export class SilenceGate {
  private readonly frame: number;
  private readonly threshold2: number;
  private readonly keepFrames: number;
  private readonly passFrames: number;
  /** Silent frames held back (at most keepFrames), released when speech comes. */
  private held: Int16Array[] = [];
  private heard = false;
  /** Silent frames in a row since the last loud one (after speech). */
  private silentRun = 0;
  /** Partial frame carried to the next push. */
  private carry = new Int16Array(0);
  private passedSamples = 0;
  private droppedSamples = 0;
  private readonly cuts: Cut[] = [];

  constructor(private readonly opts: SilenceGateOptions) {
    this.frame = Math.max(1, Math.round(opts.rate / 50));
    const t = opts.thresholdRms ?? 64;
    this.threshold2 = t * t;
    this.keepFrames = Math.floor((opts.keepMs ?? 250) / 20);
    const pass = opts.passMs ?? 1000;
    this.passFrames = Number.isFinite(pass) ? Math.round(pass / 20) : Number.POSITIVE_INFINITY;
  }

  /** Total silence dropped so far, ms. */
  get droppedMs(): number {
    return (this.droppedSamples * 1000) / this.opts.rate;
  }

  /** Feeds input; returns what the engine should get now (possibly empty). */
  push(x: Int16Array): Int16Array {
    let buf = x;
    if (this.carry.length) {
      buf = new Int16Array(this.carry.length + x.length);
      buf.set(this.carry);
      buf.set(x, this.carry.length);
    }
    const out: Int16Array[] = [];
    let o = 0;
    for (; o + this.frame <= buf.length; o += this.frame) this.frameIn(buf.subarray(o, o + this.frame), out);
    this.carry = buf.slice(o);
    if (out.length === 1) return out[0]!;
    const n = out.reduce((s, f) => s + f.length, 0);
    const y = new Int16Array(n);
    let p = 0;
    for (const f of out) {
      y.set(f, p);
      p += f.length;
    }
    return y;
  }

  /** Engine time (ms of audio it was given) → stream time (ms since the first sample pushed). */
  toStreamMs(engineMs: number): number {
    let add = 0;
    for (const c of this.cuts) {
      if (c.atMs > engineMs) break;
      add = c.droppedMs;
    }
    return engineMs + add;
  }

  private frameIn(f: Int16Array, out: Int16Array[]): void {
    let e = 0;
    for (let i = 0; i < f.length; i++) e += f[i]! * f[i]!;
    const silent = e / f.length < this.threshold2;
    if (!silent) {
      this.heard = true;
      this.silentRun = 0;
      for (const h of this.held) this.pass(h, out);
      this.held = [];
      this.pass(f, out);
      return;
    }
    if (this.heard && this.silentRun < this.passFrames) {
      this.silentRun++;
      this.pass(f, out);
      return;
    }
    // Gating: hold the newest keepFrames, drop the oldest.
    this.held.push(f.slice());
    if (this.held.length > this.keepFrames) {
      const dropped = this.held.shift()!;
      this.droppedSamples += dropped.length;
      const atMs = (this.passedSamples * 1000) / this.opts.rate;
      const last = this.cuts[this.cuts.length - 1];
      if (last && last.atMs === atMs) last.droppedMs = this.droppedMs;
      else this.cuts.push({ atMs, droppedMs: this.droppedMs });
    }
  }

  private pass(f: Int16Array, out: Int16Array[]): void {
    out.push(f);
    this.passedSamples += f.length;
  }
}
