/**
 * In-band DTMF detector for 8 kHz linear audio, in the spirit of ITU-T Q.24 receivers: tones of
 * 40 ms or more are accepted, 30 ms bursts and speech/music are not. Feed it decoded frames of
 * any size; it calls `onDigit` once per digit, when the digit ends. Allocation-free per frame.
 *
 * Analysis windows of 102 samples (12.75 ms; bins ~78 Hz apart, so neighbouring DTMF
 * frequencies leak < −19 dB) advance by 51 samples. A window is a "hit" for digit d when:
 *  - energy: each of d's row and column tones is above `minToneLevel`;
 *  - purity: the two tones carry ≥ `minToneEnergyRatio` of the window's energy — this rejects
 *    speech and music (energy spread over many harmonics) and windows only partly covered by a
 *    tone, which is what makes duration measurable to a half window;
 *  - relative peak: every other row (column) bin is ≥ 8 dB below the chosen row (column);
 *  - twist: column ≤ 4 dB above the row (reverse twist), row ≤ 8 dB above column (normal twist);
 *  - second harmonic: 2·f of both tones ≥ 15 dB below the fundamental (speech rejection); the
 *    row's is skipped when it falls within 150 Hz of the column tone, which would mask it.
 * A tone of D samples yields ⌊(D − 42)/51⌋ or one more hits, so requiring 5 consecutive hits
 * accepts every ≥ 40 ms tone (≥ 5 hits) and no 30 ms tone (≤ 4 hits).
 *
 * Per-digit state (transitions only in `decide`):
 * ```
 *            hit(d)                 hits ≥ minHits              missGap misses (or other digit)
 *  idle ───────────────▶ candidate ───────────────▶ active(d) ─────────────────────────────▶ idle
 *   ▲      misses / other digit  │                    │  emit {digit, startTs, durationMs}
 *   └────────────────────────────┘                    └── single misses (< missGap) are bridged
 * ```
 */
import { blockEnergy, goertzelCoefficient, goertzelPower } from '../dsp/index.ts';

export interface DtmfDigitEvent {
  /** '0'–'9', '*', '#', 'A'–'D'. */
  digit: string;
  /** Sample-clock timestamp (8 kHz units, the caller's RTP timestamp base) of the digit's start. */
  startTs: number;
  /** Estimated tone duration. */
  durationMs: number;
}

export interface InbandDtmfDetectorOptions {
  /** Called once per detected digit, at its end. */
  onDigit: (ev: DtmfDigitEvent) => void;
  /** Consecutive hit windows for a digit (each 6.375 ms apart). Default 5 (accept ≥ 40 ms). */
  minHits?: number;
  /** Consecutive missed windows that end a digit. Default 2 (bridges one dropped window). */
  missGap?: number;
  /** Minimum per-tone amplitude (linear, of 32768). Default 360 (about −36 dBm0 in G.711). */
  minToneLevel?: number;
  /** Share of window energy the two tones must carry. Default 0.7. */
  minToneEnergyRatio?: number;
  /** Max dB the row tone may exceed the column tone (normal twist). Default 8. */
  normalTwistDb?: number;
  /** Max dB the column tone may exceed the row tone (reverse twist). Default 4. */
  reverseTwistDb?: number;
  /** Other bins of the same group must be this many dB below the peak. Default 8. */
  relativePeakDb?: number;
  /** Second harmonics must be this many dB below their fundamental. Default 15. */
  harmonicRejectDb?: number;
}

const SAMPLE_RATE = 8000;
const WINDOW = 102;
const HOP = 51;
const ROWS = [697, 770, 852, 941];
const COLS = [1209, 1336, 1477, 1633];
const KEYS = ['123A', '456B', '789C', '*0#D'];
const ROW_COEF = ROWS.map((f) => goertzelCoefficient(f, SAMPLE_RATE));
const COL_COEF = COLS.map((f) => goertzelCoefficient(f, SAMPLE_RATE));
const ROW_H2 = ROWS.map((f) => goertzelCoefficient(2 * f, SAMPLE_RATE));
const COL_H2 = COLS.map((f) => goertzelCoefficient(2 * f, SAMPLE_RATE));
const NO_DIGIT = -1;

const fromDb = (dB: number) => 10 ** (dB / 10);

export class InbandDtmfDetector {
  private readonly onDigit: (ev: DtmfDigitEvent) => void;
  private readonly minHits: number;
  private readonly missGap: number;
  private readonly minTonePower: number;
  private readonly energyRatio: number;
  private readonly normalTwist: number;
  private readonly reverseTwist: number;
  private readonly relPeak: number;
  private readonly harmonicReject: number;

  /** Samples waiting for a full window; at most WINDOW − 1 + one frame. */
  private buf = new Float64Array(WINDOW + 960);
  private bufLen = 0;
  /** Timestamp of buf[0]. */
  private bufTs = 0;
  private tsKnown = false;

  private candidate = NO_DIGIT;
  private hits = 0;
  private misses = 0;
  private active = false;
  private firstHitTs = 0;
  private lastHitTs = 0;
  private readonly rowP = new Float64Array(4);
  private readonly colP = new Float64Array(4);

  constructor(opts: InbandDtmfDetectorOptions) {
    this.onDigit = opts.onDigit;
    this.minHits = opts.minHits ?? 5;
    this.missGap = opts.missGap ?? 2;
    const lvl = opts.minToneLevel ?? 360;
    this.minTonePower = ((lvl * WINDOW) / 2) ** 2;
    this.energyRatio = opts.minToneEnergyRatio ?? 0.7;
    this.normalTwist = fromDb(opts.normalTwistDb ?? 8);
    this.reverseTwist = fromDb(opts.reverseTwistDb ?? 4);
    this.relPeak = fromDb(opts.relativePeakDb ?? 8);
    this.harmonicReject = fromDb(opts.harmonicRejectDb ?? 15);
  }

  /**
   * Analyse `n` samples (default all). `ts` is the sample timestamp of samples[0] (e.g. the RTP
   * timestamp); when omitted, the count continues from the previous frame (starting at 0).
   */
  process(samples: Int16Array, ts?: number, n = samples.length): void {
    if (ts !== undefined) {
      this.bufTs = ts - this.bufLen;
      this.tsKnown = true;
    } else if (!this.tsKnown) {
      this.tsKnown = true;
    }
    if (this.bufLen + n > this.buf.length) {
      const b = new Float64Array(this.bufLen + n);
      b.set(this.buf.subarray(0, this.bufLen));
      this.buf = b;
    }
    const buf = this.buf;
    for (let i = 0; i < n; i++) buf[this.bufLen + i] = samples[i];
    this.bufLen += n;
    let off = 0;
    while (off + WINDOW <= this.bufLen) {
      this.decide(this.classify(off), this.bufTs + off);
      off += HOP;
    }
    buf.copyWithin(0, off, this.bufLen);
    this.bufLen -= off;
    this.bufTs += off;
  }

  /** End any digit in progress now (e.g. at stream end), emitting it if it qualified. */
  flush(): void {
    this.decide(NO_DIGIT, this.bufTs);
    this.decide(NO_DIGIT, this.bufTs);
    if (this.active) this.finish();
    this.candidate = NO_DIGIT;
    this.hits = 0;
  }

  /** Digit index (row·4 + column) the window at `off` shows, or NO_DIGIT. */
  private classify(off: number): number {
    const x = this.buf;
    const energy = blockEnergy(x, off, WINDOW);
    // A window's energy must at least cover two tones at the minimum level.
    if (energy * (WINDOW / 2) < 2 * this.minTonePower) return NO_DIGIT;
    let r = 0;
    let c = 0;
    for (let i = 0; i < 4; i++) {
      this.rowP[i] = goertzelPower(x, off, WINDOW, ROW_COEF[i]);
      this.colP[i] = goertzelPower(x, off, WINDOW, COL_COEF[i]);
      if (this.rowP[i] > this.rowP[r]) r = i;
      if (this.colP[i] > this.colP[c]) c = i;
    }
    const pr = this.rowP[r];
    const pc = this.colP[c];
    if (pr < this.minTonePower || pc < this.minTonePower) return NO_DIGIT;
    if (pr > pc * this.normalTwist || pc > pr * this.reverseTwist) return NO_DIGIT;
    for (let i = 0; i < 4; i++) {
      if (i !== r && this.rowP[i] * this.relPeak > pr) return NO_DIGIT;
      if (i !== c && this.colP[i] * this.relPeak > pc) return NO_DIGIT;
    }
    // |X|²·2/N is the energy a sinusoid contributes to the window.
    if (((pr + pc) * 2) / WINDOW < this.energyRatio * energy) return NO_DIGIT;
    // A row's 2nd harmonic can sit within a bin of the column tone (2·697 = 1394 vs 1336): the
    // column's own leakage would read as a harmonic, so check rows only when clear of it.
    if (Math.abs(2 * ROWS[r] - COLS[c]) > 150 && goertzelPower(x, off, WINDOW, ROW_H2[r]) * this.harmonicReject > pr) {
      return NO_DIGIT;
    }
    if (goertzelPower(x, off, WINDOW, COL_H2[c]) * this.harmonicReject > pc) return NO_DIGIT;
    return r * 4 + c;
  }

  private decide(d: number, windowTs: number): void {
    if (d !== NO_DIGIT && d === this.candidate) {
      this.hits++;
      this.misses = 0;
      this.lastHitTs = windowTs;
      if (!this.active && this.hits >= this.minHits) this.active = true;
      return;
    }
    if (d === NO_DIGIT && this.candidate !== NO_DIGIT && ++this.misses < this.missGap && this.active) {
      return; // bridge a single dropped window inside an accepted digit
    }
    if (this.active) this.finish();
    this.candidate = d;
    this.hits = d === NO_DIGIT ? 0 : 1;
    this.misses = 0;
    this.active = false;
    this.firstHitTs = windowTs;
    this.lastHitTs = windowTs;
  }

  private finish(): void {
    const d = this.candidate;
    this.active = false;
    // A window is a hit when the tone covers ≥ 72 of its 102 samples, so with hits every 51
    // samples the tone began in (first − 21, first + 30] and ended in [last + 72, last + 123):
    // take the middle of each interval.
    const start = this.firstHitTs + 4;
    const end = this.lastHitTs + 97;
    this.onDigit({
      digit: KEYS[d >> 2][d & 3],
      startTs: start,
      durationMs: ((end - start) * 1000) / SAMPLE_RATE,
    });
  }
}
