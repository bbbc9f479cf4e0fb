/**
 * One DTMF event stream per endpoint from three sources (the source is recorded): RFC 4733
 * telephone-events, in-band tones in the decoded audio, and SIP INFO digits injected from
 * signaling. Also the cheap gates in front of the in-band detector: its windowed Goertzel bank
 * costs ~7 µs per frame, which 1,000 calls of speech on 2 cores cannot afford on every frame.
 *  1. Energy: frames quieter than the detector's minimum tone level skip it.
 *  2. Purity: one Goertzel pass per DTMF frequency over the whole frame (~1.5 µs); frames where
 *     the strongest row + column tone carry less than PURITY_MIN of the energy skip it. ~1–2 %
 *     of speech frames pass; a frame fully inside a digit gives ~0.95–1 (≥ 0.75 even with both
 *     tones 1.5 % off frequency, the Q.24 limit), and the detector itself wants 0.7 per 12.75 ms
 *     window.
 * The gates only save work, they do not decide: a frame that passes goes to the full detector.
 * A tone's partly covered first frame would fail the purity gate, so the previous frame is kept
 * and fed first when a frame passes (one frame of pre-roll), and HANGOVER_FRAMES frames after a
 * passing frame are fed regardless (a digit's end is seen). Every tone ≥ 40 ms fully covers at
 * least one frame, so every accepted digit is still seen whole.
 * Wideband legs (16 kHz L16, 48 kHz Opus): every frame is resampled to 8 kHz first (polyphase
 * Resampler, pooled buffer) and the 8 kHz chain runs on that. PARTIAL: the resampler runs before
 * the gates, so in-band detection on a wideband leg costs ~50 µs per frame more (gating at the
 * native rate first is not done); timestamps are divided by rate/8000 (a pre-roll is skipped
 * once when the 32-bit RTP timestamp wraps).
 */
import { goertzelCoefficient, Resampler } from '../dsp/index.ts';
import { InbandDtmfDetector, Rfc4733Receiver } from '../dtmf/index.ts';
import type { DtmfEventData } from './endpoint-types.ts';

/** Mean square of one DTMF tone at the in-band detector's minimum level (360 of 32768) covering a quarter of a frame. */
const GATE_MEAN_SQUARE = (360 * 360) / 2 / 4;
/** Frames still fed after the last one that passed the gates. */
const HANGOVER_FRAMES = 2;
/** Share of a frame's energy its strongest row + column tone must carry to pass the purity gate. */
const PURITY_MIN = 0.6;
const ROW_COEF = [697, 770, 852, 941].map((f) => goertzelCoefficient(f, 8000));
const COL_COEF = [1209, 1336, 1477, 1633].map((f) => goertzelCoefficient(f, 8000));

export class DtmfDetectors {
  private rfc4733: Rfc4733Receiver | undefined;
  private inband: InbandDtmfDetector | undefined;
  private hangover = 0;
  /** Frames that skipped the detector thanks to the gates (for benchmarks and tests). */
  gatedFrames = 0;
  inbandFrames = 0;
  /** The previous frame (pre-roll), whether the detector saw it, and its timestamp. */
  private prev: Int16Array | undefined;
  private prevFed = true;
  private prevTs = 0;
  /** Set false to feed every loud frame to the detector (the old behaviour; for tests). */
  purityGate = true;
  /** Wideband legs: to 8 kHz before everything else, and its output buffer. */
  private down: Resampler | undefined;
  private downBuf = new Int16Array(0);
  private readonly frame8 = new Int16Array(160);

  constructor(private readonly emit: (ev: DtmfEventData) => void, private teClockRate: number) {}

  private newRfc4733(): Rfc4733Receiver {
    return new Rfc4733Receiver({
      clockRate: this.teClockRate,
      onDigit: (ev) => {
        if (ev.digit.length === 1) this.emit({ digit: ev.digit, source: 'rfc4733', durationMs: Math.round(ev.durationMs) });
      },
    });
  }

  /** A re-negotiated telephone-event clock rate (durations are counted in it): a running receiver starts over at the new rate. */
  setTeClockRate(rate: number): void {
    if (rate === this.teClockRate) return;
    this.teClockRate = rate;
    if (this.rfc4733) this.rfc4733 = this.newRfc4733();
  }

  configure(opts: { rfc4733: boolean; inband: boolean; audioRate: number }): void {
    this.rfc4733 = opts.rfc4733 ? this.rfc4733 ?? this.newRfc4733() : undefined;
    // The in-band detector works at 8 kHz; other rates are resampled to it (see the top of the file).
    this.inband = opts.inband
      ? this.inband ?? new InbandDtmfDetector({ onDigit: (ev) => this.emit({ digit: ev.digit, source: 'inband', durationMs: Math.round(ev.durationMs) }) })
      : undefined;
    if (!opts.inband || opts.audioRate === 8000) {
      this.down = undefined;
    } else if (this.down?.inRate !== opts.audioRate) {
      this.down = new Resampler(opts.audioRate, 8000);
      this.downBuf = new Int16Array(this.down.maxOutput(opts.audioRate / 50));
    }
  }

  get active(): boolean {
    return this.rfc4733 !== undefined || this.inband !== undefined;
  }

  onTelephoneEvent(rtpTimestamp: number, marker: boolean, payload: Uint8Array, nowMs: number): void {
    this.rfc4733?.onPacket(rtpTimestamp, marker, payload, nowMs);
  }

  /** One decoded inbound frame (at the configured audio rate) with the RTP timestamp of its first sample. */
  onAudio(input: Int16Array, ts: number): void {
    const det = this.inband;
    if (!det) return;
    let frame = input;
    const down = this.down;
    if (down) {
      const m = down.process(input, this.downBuf);
      if (m < this.downBuf.length) this.downBuf.fill(0, m);
      // One 20 ms frame at 8 kHz (the resampler's buffer has a spare slot; copied, not a subarray per frame).
      for (let i = 0; i < 160; i++) this.frame8[i] = this.downBuf[i];
      frame = this.frame8;
      ts = Math.floor(ts / (down.inRate / 8000)) >>> 0;
    }
    const n = frame.length;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += frame[i] * frame[i];
    let pass = sum / n >= GATE_MEAN_SQUARE && (!this.purityGate || purity(frame, sum) >= PURITY_MIN);
    if (pass) {
      // Pre-roll: the frame before a passing one may hold the start of the tone.
      const p = this.prev;
      if (p && !this.prevFed && p.length === n && ((this.prevTs + n) >>> 0) === ts) {
        this.inbandFrames++;
        det.process(p, this.prevTs);
      }
      this.hangover = HANGOVER_FRAMES;
    } else if (this.hangover > 0) {
      this.hangover--;
      pass = true;
    }
    if (pass) {
      this.inbandFrames++;
      det.process(frame, ts);
    } else {
      this.gatedFrames++;
    }
    if (!this.prev || this.prev.length !== n) this.prev = new Int16Array(n);
    this.prev.set(frame);
    this.prevTs = ts;
    this.prevFed = pass;
  }

  injectInfo(digit: string, durationMs: number): void {
    this.emit({ digit, source: 'info', durationMs });
  }

  tick(nowMs: number): void {
    this.rfc4733?.tick(nowMs);
  }
}

/**
 * Share of the frame's energy (Σx² = `energy`) in its strongest DTMF row tone plus strongest
 * column tone. The eight Goertzel filters run in one pass over the frame, on locals (one loop,
 * monomorphic on Int16Array): ~3× faster than eight goertzelPower calls.
 */
function purity(x: Int16Array, energy: number): number {
  if (energy <= 0) return 0;
  const n = x.length;
  const [r0, r1, r2, r3] = ROW_COEF;
  const [c0, c1, c2, c3] = COL_COEF;
  let a0 = 0, b0 = 0, a1 = 0, b1 = 0, a2 = 0, b2 = 0, a3 = 0, b3 = 0;
  let e0 = 0, f0 = 0, e1 = 0, f1 = 0, e2 = 0, f2 = 0, e3 = 0, f3 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    let t = v + r0 * a0 - b0; b0 = a0; a0 = t;
    t = v + r1 * a1 - b1; b1 = a1; a1 = t;
    t = v + r2 * a2 - b2; b2 = a2; a2 = t;
    t = v + r3 * a3 - b3; b3 = a3; a3 = t;
    t = v + c0 * e0 - f0; f0 = e0; e0 = t;
    t = v + c1 * e1 - f1; f1 = e1; e1 = t;
    t = v + c2 * e2 - f2; f2 = e2; e2 = t;
    t = v + c3 * e3 - f3; f3 = e3; e3 = t;
  }
  const row = Math.max(a0 * a0 + b0 * b0 - r0 * a0 * b0, a1 * a1 + b1 * b1 - r1 * a1 * b1, a2 * a2 + b2 * b2 - r2 * a2 * b2, a3 * a3 + b3 * b3 - r3 * a3 * b3);
  const col = Math.max(e0 * e0 + f0 * f0 - c0 * e0 * f0, e1 * e1 + f1 * f1 - c1 * e1 * f1, e2 * e2 + f2 * f2 - c2 * e2 * f2, e3 * e3 + f3 * f3 - c3 * e3 * f3);
  // A sine of amplitude A gives power (A·n/2)² and energy A²·n/2, so power·2/n is its energy.
  return ((row + col) * 2) / n / energy;
}
