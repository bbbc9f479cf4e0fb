/**
 * The engine's own renderer for the play specs it can make without the players module
 * (src/media/play): tones, silence and ready PCM at the media rate. It lets the diagnostic
 * targets and tests play before/without that module; `openPlaySource` (play-source.ts)
 * prefers the players module whenever it is present. Tones are rendered with a phase
 * accumulator (Math.sin per sample: fine for a fallback, not the hot path of 1,000 calls —
 * the players module's table-driven ToneSource is).
 */
import type { AudioSource } from '../audio.ts';
import type { PlaySpec } from './endpoint-types.ts';

const NAMED = {
  beep: { freqs: [1000], onMs: 250, offMs: 0, totalMs: 250 },
  ringback: { freqs: [440, 480], onMs: 2000, offMs: 4000, totalMs: 0 },
  busy: { freqs: [480, 620], onMs: 500, offMs: 500, totalMs: 0 },
} as const;

interface Item {
  /** Samples to produce (Infinity = forever). */
  length: number;
  fill(out: Int16Array, start: number, n: number, pos: number): void;
}

function toneItem(t: Extract<PlaySpec, { kind: 'tone' }>['tone'], rate: number): Item {
  const spec = typeof t === 'string' ? NAMED[t] : t;
  const level = 'levelDbfs' in spec && spec.levelDbfs !== undefined ? spec.levelDbfs : -10;
  const amp = (32767 * 10 ** (level / 20)) / spec.freqs.length;
  const on = Math.round((spec.onMs * rate) / 1000);
  const cycle = on + Math.round((spec.offMs * rate) / 1000);
  const total = spec.totalMs === 0 ? Infinity : Math.round(((spec.totalMs ?? spec.onMs + spec.offMs) * rate) / 1000);
  const w = spec.freqs.map((f) => (2 * Math.PI * f) / rate);
  return {
    length: total,
    fill(out, start, n, pos) {
      for (let i = 0; i < n; i++) {
        const p = pos + i;
        const inCycle = cycle > 0 ? p % cycle : p;
        let v = 0;
        if (inCycle < on) for (let k = 0; k < w.length; k++) v += Math.sin(w[k] * p);
        out[start + i] = Math.round(v * amp);
      }
    },
  };
}

function specItem(s: PlaySpec, rate: number): Item {
  switch (s.kind) {
    case 'tone':
      return toneItem(s.tone, rate);
    case 'silence':
      return { length: Math.round((s.ms * rate) / 1000), fill: (out, start, n) => out.fill(0, start, start + n) };
    case 'pcm': {
      if (s.rate !== rate) throw new Error(`pcm at ${s.rate} Hz needs the players module to resample to ${rate} Hz`);
      const pcm = s.samples;
      return { length: pcm.length, fill: (out, start, n, pos) => out.set(pcm.subarray(pos, pos + n), start) };
    }
    default:
      throw new Error(`${s.kind} prompts need the players module (src/media/play)`);
  }
}

export class FallbackPlaylist implements AudioSource {
  private readonly items: Item[];
  private idx = 0;
  private pos = 0;
  private loopsLeft: number;

  /** `loop`: 0 = forever, n = play the list n times. */
  constructor(specs: PlaySpec[], readonly rate: number, loop = 1) {
    this.items = specs.map((s) => specItem(s, rate));
    this.loopsLeft = loop === 0 ? Infinity : loop;
  }

  read(out: Int16Array): boolean {
    let filled = 0;
    while (filled < out.length) {
      if (this.idx >= this.items.length) {
        this.loopsLeft--;
        if (this.loopsLeft <= 0 || this.items.every((i) => i.length === 0)) {
          out.fill(0, filled);
          return filled > 0;
        }
        this.idx = 0;
        this.pos = 0;
      }
      const item = this.items[this.idx];
      const n = Math.min(out.length - filled, item.length - this.pos);
      if (n > 0) {
        item.fill(out, filled, n, this.pos);
        this.pos += n;
        filled += n;
      }
      if (this.pos >= item.length) {
        this.idx++;
        this.pos = 0;
      }
    }
    return true;
  }

  close(): void {
    this.idx = this.items.length;
    this.loopsLeft = 0;
  }
}
