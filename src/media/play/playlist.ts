/**
 * openPlaylist: a list of PlaySpecs (files, URLs, tones, silence, PCM) played back to back as
 * one AudioSource at the media rate, optionally looped.
 *
 * Everything that can fail (missing, oversize, undecodable, unreachable prompt) is loaded and
 * decoded before openPlaylist resolves, so the play operation fails up front with a PlayError
 * instead of going silent mid-call. Items are joined at sample level: a frame may end one item
 * and begin the next, with no padding between them. Loops restart tones and prompts from their
 * start; decoded prompts are shared buffers, so looping or closing copies nothing.
 */
import type { AudioSource } from '../audio.ts';
import { PcmSource, SilenceSource } from './pcm-source.ts';
import { PlayError } from './play-error.ts';
import type { PromptCache } from './prompt-cache.ts';
import { fetchBounded } from './fetch-bounded.ts';
import { decodePromptNamed, loadFilePrompt } from './prompt-loader.ts';
import { resampleOnce } from './resample-once.ts';
import { ToneSource } from './tone-source.ts';
import type { ToneName, ToneSpec } from './tone-source.ts';

export type PlaySpec =
  | { kind: 'file'; path: string }
  | { kind: 'url'; url: string }
  | { kind: 'tone'; tone: ToneName | ToneSpec }
  | { kind: 'silence'; ms: number }
  | { kind: 'pcm'; rate: number; samples: Int16Array };

export interface PlayOptions {
  /** How many times to play the whole list; 0 = until closed. Default 1. */
  loop?: number;
}

export interface OpenPlaylistOptions extends PlayOptions {
  /** Cache for files and URLs (disk + decoded). Default none: decode each time, fetch without a disk copy. */
  cache?: PromptCache;
}

/** Largest prompt accepted when no PromptCache sets the limit: 20 MiB, as PromptCache's default. */
const DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024;
const SUPPORTED_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

/** A source that can also fill part of a frame, so items join without gaps. */
interface Fillable extends AudioSource {
  fill(out: Int16Array, offset: number): number;
}

/** One playlist item, resolved: makes a fresh source for each pass of the loop. */
type Item = () => Fillable;

/** Open `specs` as one AudioSource at `rate`. Throws PlayError (see play-error.ts). */
export async function openPlaylist(specs: PlaySpec[], rate: number, opts: OpenPlaylistOptions = {}): Promise<AudioSource> {
  if (!SUPPORTED_RATES.includes(rate)) throw new RangeError(`unsupported media rate ${rate}`);
  const loop = opts.loop ?? 1;
  if (!(Number.isInteger(loop) && loop >= 0)) throw new RangeError('loop must be an integer ≥ 0');
  // Load in parallel: a playlist of several URLs should not pay their latencies one after another.
  const items = await Promise.all(specs.map((s) => resolveItem(s, rate, opts.cache)));
  return new Playlist(items, rate, loop);
}

async function resolveItem(spec: PlaySpec, rate: number, cache: PromptCache | undefined): Promise<Item> {
  switch (spec.kind) {
    case 'file': {
      const samples = cache ? await cache.loadFile(spec.path, rate) : await loadFilePrompt(spec.path, rate, DEFAULT_MAX_FILE_BYTES);
      return () => new PcmSource(samples, rate);
    }
    case 'url': {
      let samples: Int16Array;
      if (cache) samples = await cache.loadUrl(spec.url, rate);
      else {
        const res = await fetchBounded(spec.url, { maxBytes: DEFAULT_MAX_FILE_BYTES });
        samples = decodePromptNamed(res.body, rate, spec.url.split('?')[0]);
      }
      return () => new PcmSource(samples, rate);
    }
    case 'tone': {
      new ToneSource(spec.tone, rate); // validate now: a bad spec fails the operation, not the first frame
      return () => new ToneSource(spec.tone, rate);
    }
    case 'silence': {
      new SilenceSource(spec.ms, rate);
      return () => new SilenceSource(spec.ms, rate);
    }
    case 'pcm': {
      if (!(spec.samples instanceof Int16Array)) throw new PlayError('UNSUPPORTED_FORMAT', 'pcm samples must be an Int16Array');
      if (!(Number.isInteger(spec.rate) && spec.rate >= 1000 && spec.rate <= 192000)) {
        throw new PlayError('UNSUPPORTED_FORMAT', `pcm rate ${spec.rate} Hz is not supported`);
      }
      const samples = resampleOnce(spec.samples, spec.rate, rate);
      return () => new PcmSource(samples, rate);
    }
    default:
      throw new PlayError('UNSUPPORTED_FORMAT', `unknown play spec kind ${JSON.stringify((spec as { kind?: unknown }).kind)}`);
  }
}

/**
 * States: playing(item i, pass p) → … → done. Moves to the next item when the current one
 * fills nothing; after the last item starts pass p+1 if loops remain; done when none remain,
 * when closed, or when a whole pass produced no samples (an all-empty list looped forever
 * would otherwise spin).
 */
class Playlist implements AudioSource {
  readonly rate: number;
  private readonly items: Item[];
  private readonly loop: number;
  private index = 0;
  private pass = 0;
  private current: Fillable | undefined;
  private passSamples = 0;
  private done = false;

  constructor(items: Item[], rate: number, loop: number) {
    this.items = items;
    this.rate = rate;
    this.loop = loop;
    this.done = items.length === 0;
  }

  /** True while samples were written (a last partial frame is zero-padded); false after. */
  read(out: Int16Array): boolean {
    let o = 0;
    while (o < out.length && !this.done) {
      this.current ??= this.items[this.index]();
      const n = this.current.fill(out, o);
      o += n;
      this.passSamples += n;
      if (o < out.length) this.advance();
    }
    if (o < out.length) out.fill(0, o);
    return o > 0;
  }

  private advance(): void {
    this.current?.close();
    this.current = undefined;
    if (++this.index < this.items.length) return;
    this.index = 0;
    this.pass++;
    if ((this.loop !== 0 && this.pass >= this.loop) || this.passSamples === 0) this.done = true;
    this.passSamples = 0;
  }

  close(): void {
    this.current?.close();
    this.current = undefined;
    this.done = true;
  }
}
