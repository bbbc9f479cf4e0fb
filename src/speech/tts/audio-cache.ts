/**
 * Cache of synthesized prompts: in memory, LRU bounded by bytes, and optionally on disk so a
 * restart does not re-synthesize every menu. Keys are opaque strings (the synthesizer builds them
 * from text/ssml, voice, rate); disk files are named by the key's SHA-256, so any key is safe.
 * Disk file layout: "SBPCM1\n" magic, rate as u32 LE, then mono Int16 LE samples.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface AudioCacheOptions {
  /** Memory budget for cached samples. Default 32 MiB. */
  maxBytes?: number;
  /** Directory for the disk copy; none when unset. Default: memory only. */
  dir?: string;
}

export interface CachedAudio {
  rate: number;
  samples: Int16Array;
}

const MAGIC = Buffer.from('SBPCM1\n');

export class AudioCache {
  readonly maxBytes: number;
  readonly dir: string | undefined;
  /** Map iteration order is insertion order: re-inserting on hit makes the first key the LRU one. */
  private readonly entries = new Map<string, CachedAudio>();
  private bytes = 0;

  constructor(opts: AudioCacheOptions = {}) {
    this.maxBytes = opts.maxBytes ?? 32 * 1024 * 1024;
    this.dir = opts.dir;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Memory hit, else disk hit (then kept in memory), else undefined. */
  async get(key: string): Promise<CachedAudio | undefined> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    if (!this.dir) return undefined;
    let buf: Buffer;
    try {
      buf = await readFile(this.path(key));
    } catch {
      return undefined;
    }
    if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    const rate = buf.readUInt32LE(MAGIC.length);
    const body = buf.subarray(MAGIC.length + 4);
    const samples = new Int16Array(body.length >> 1);
    Buffer.from(samples.buffer).set(body.subarray(0, samples.length * 2));
    const audio = { rate, samples };
    this.remember(key, audio);
    return audio;
  }

  /** Store in memory and, when configured, on disk (written to a temp name then renamed: no torn files). */
  async set(key: string, audio: CachedAudio): Promise<void> {
    this.remember(key, audio);
    if (!this.dir) return;
    await mkdir(this.dir, { recursive: true });
    const head = Buffer.alloc(MAGIC.length + 4);
    MAGIC.copy(head);
    head.writeUInt32LE(audio.rate, MAGIC.length);
    const p = this.path(key);
    const tmp = `${p}.${process.pid}.tmp`;
    await writeFile(tmp, Buffer.concat([head, Buffer.from(audio.samples.buffer, audio.samples.byteOffset, audio.samples.byteLength)]));
    await rename(tmp, p);
  }

  private remember(key: string, audio: CachedAudio): void {
    const size = audio.samples.byteLength;
    if (size > this.maxBytes) return; // larger than the whole budget: serve it, don't keep it
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.samples.byteLength;
      this.entries.delete(key);
    }
    this.entries.set(key, audio);
    this.bytes += size;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.samples.byteLength;
    }
  }

  private path(key: string): string {
    return join(this.dir!, `${createHash('sha256').update(key).digest('hex')}.pcm`);
  }
}
