/**
 * Playback of already-decoded mono PCM (a decoded prompt, TTS output, silence) as an
 * AudioSource. The samples are shared, never copied or mutated: decoded prompts come from the
 * in-memory cache and many calls play the same buffer at once. Closing just drops the reference,
 * so barge-in mid-prompt costs nothing.
 */
import type { AudioSource } from '../audio.ts';

export class PcmSource implements AudioSource {
  readonly rate: number;
  private samples: Int16Array | undefined;
  private pos = 0;

  constructor(samples: Int16Array, rate: number) {
    this.samples = samples;
    this.rate = rate;
  }

  /** Samples left to play. */
  get remaining(): number {
    return this.samples ? this.samples.length - this.pos : 0;
  }

  /** True while samples were written (a last partial frame is zero-padded); false after. */
  read(out: Int16Array): boolean {
    const n = this.fill(out, 0);
    if (n < out.length) out.fill(0, n);
    return n > 0;
  }

  /**
   * Copy up to out.length − offset samples into out[offset…]; returns how many. Lets a playlist
   * join sources inside one frame without a gap. Plain loop: subarray() would allocate a view.
   */
  fill(out: Int16Array, offset: number): number {
    const s = this.samples;
    if (!s) return 0;
    const n = Math.min(out.length - offset, s.length - this.pos);
    for (let i = 0, p = this.pos; i < n; i++) out[offset + i] = s[p + i];
    this.pos += n;
    return n;
  }

  close(): void {
    this.samples = undefined;
  }
}

/** `ms` of silence at `rate`, without allocating the zeros. */
export class SilenceSource implements AudioSource {
  readonly rate: number;
  private left: number;

  constructor(ms: number, rate: number) {
    if (!(ms >= 0)) throw new RangeError('silence ms must be ≥ 0');
    this.rate = rate;
    this.left = Math.round((ms * rate) / 1000);
  }

  read(out: Int16Array): boolean {
    out.fill(0);
    if (this.left <= 0) return false;
    this.left -= Math.min(this.left, out.length);
    return true;
  }

  /** Zero up to out.length − offset samples from offset; returns how many. */
  fill(out: Int16Array, offset: number): number {
    const n = Math.min(out.length - offset, this.left);
    out.fill(0, offset, offset + n);
    this.left -= n;
    return n;
  }

  close(): void {
    this.left = 0;
  }
}
