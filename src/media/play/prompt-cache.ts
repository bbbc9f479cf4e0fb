/**
 * Prompt cache, two levels:
 *  1. Disk: http(s) prompts downloaded once into `dir`, one file per URL named by the SHA-256
 *     of the URL (`<hash>.wav` plus `<hash>.json` holding url, ETag, Last-Modified, fetch time).
 *     The total of the .wav files is kept under maxBytes by evicting the least recently used.
 *     Entries older than revalidateMs are re-checked with a conditional GET (If-None-Match /
 *     If-Modified-Since); a 304 keeps the file, a 200 replaces it, and a failed re-check keeps
 *     serving the stale copy (a flaky prompt server must not break calls that played fine).
 *  2. Memory: decoded samples by (source, rate), LRU bounded by memoryBytes, because the same
 *     prompt is played to many calls. Local files are keyed with their mtime and size, so an
 *     edited file is decoded afresh.
 * Concurrent requests for the same URL or (source, rate) share one download / decode.
 * The recency index is rebuilt from the directory's mtimes at first use, so a restart keeps
 * the cache; writes go to a temp file renamed into place, so a crash never leaves a torn prompt.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fetchBounded } from './fetch-bounded.ts';
import { ByteLru } from './lru-bytes.ts';
import { PlayError } from './play-error.ts';
import { decodePromptNamed, loadFilePrompt, statPrompt } from './prompt-loader.ts';

export interface PromptCacheOptions {
  /** Directory for downloaded prompts (created if missing). Required. */
  dir: string;
  /** Bound on the downloaded files' total size, bytes. Default 256 MiB. */
  maxBytes?: number;
  /** Largest single prompt (download or local file), bytes. Default 20 MiB. */
  maxFileBytes?: number;
  /** Bound on decoded samples kept in memory, bytes. Default 64 MiB. */
  memoryBytes?: number;
  /** Timeout of one download, ms. Default 10 000. */
  fetchTimeoutMs?: number;
  /** Age after which a downloaded prompt is re-checked with a conditional GET, ms; 0 = never. Default 300 000. */
  revalidateMs?: number;
}

interface DiskEntry {
  size: number;
  lastUsed: number;
  /** Bumped when the content is replaced; keys the decoded copies. */
  version: number;
}

interface Meta {
  url: string;
  etag?: string;
  lastModified?: string;
  fetchedAt: number;
}

export interface PromptCacheStats {
  diskFiles: number;
  diskBytes: number;
  memoryEntries: number;
  memoryBytes: number;
  /** Downloads made (including re-fetches after a changed 200 on revalidation). */
  downloads: number;
  /** Decoded-prompt lookups answered from memory. */
  memoryHits: number;
}

export class PromptCache {
  readonly dir: string;
  readonly maxBytes: number;
  readonly maxFileBytes: number;
  private readonly fetchTimeoutMs: number;
  private readonly revalidateMs: number;
  private readonly decoded: ByteLru<Int16Array>;
  private index: Map<string, DiskEntry> | undefined;
  private indexing: Promise<Map<string, DiskEntry>> | undefined;
  private diskBytes = 0;
  private readonly inflightFetch = new Map<string, Promise<string>>();
  private readonly inflightDecode = new Map<string, Promise<Int16Array>>();
  private downloads = 0;
  private versions = 0;
  private memoryHits = 0;

  constructor(opts: PromptCacheOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes ?? 256 * 1024 * 1024;
    this.maxFileBytes = opts.maxFileBytes ?? 20 * 1024 * 1024;
    this.fetchTimeoutMs = opts.fetchTimeoutMs ?? 10_000;
    this.revalidateMs = opts.revalidateMs ?? 300_000;
    this.decoded = new ByteLru(opts.memoryBytes ?? 64 * 1024 * 1024);
  }

  /** Samples of a local WAV file at `rate` (decoded once, then from memory while unchanged). */
  async loadFile(path: string, rate: number): Promise<Int16Array> {
    const st = await statPrompt(path, this.maxFileBytes);
    const key = `file:${path}:${st.mtimeMs}:${st.size}@${rate}`;
    return this.decodedOnce(key, () => loadFilePrompt(path, rate, this.maxFileBytes));
  }

  /** Samples of an http(s) WAV prompt at `rate`, through the disk cache. */
  async loadUrl(url: string, rate: number): Promise<Int16Array> {
    const file = await this.fetch(url);
    const hash = file.slice(-68, -4);
    // The entry's version keys the decoded copy: a re-fetch with new content gets a new key.
    const key = `url:${url}:${this.index?.get(hash)?.version ?? 0}@${rate}`;
    return this.decodedOnce(key, async () => {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(file);
      } catch (err) {
        throw new PlayError('FETCH_FAILED', `cached copy of ${redact(url)} vanished (${(err as Error).message})`, { cause: err });
      }
      return decodePromptNamed(bytes, rate, redact(url));
    });
  }

  /** Path of the cached copy of `url`, downloading or re-validating it as needed. */
  fetch(url: string): Promise<string> {
    const running = this.inflightFetch.get(url);
    if (running) return running;
    const p = this.fetchUncached(url).finally(() => this.inflightFetch.delete(url));
    this.inflightFetch.set(url, p);
    return p;
  }

  stats(): PromptCacheStats {
    return {
      diskFiles: this.index?.size ?? 0,
      diskBytes: this.diskBytes,
      memoryEntries: this.decoded.size,
      memoryBytes: this.decoded.bytes,
      downloads: this.downloads,
      memoryHits: this.memoryHits,
    };
  }

  /** Forget decoded prompts (the disk cache stays). */
  clearMemory(): void {
    this.decoded.clear();
  }

  private async decodedOnce(key: string, load: () => Promise<Int16Array>): Promise<Int16Array> {
    const hit = this.decoded.get(key);
    if (hit) {
      this.memoryHits++;
      return hit;
    }
    const running = this.inflightDecode.get(key);
    if (running) return running;
    const p = load()
      .then((samples) => {
        this.decoded.set(key, samples, samples.byteLength);
        return samples;
      })
      .finally(() => this.inflightDecode.delete(key));
    this.inflightDecode.set(key, p);
    return p;
  }

  private async fetchUncached(url: string): Promise<string> {
    const index = await this.loadIndex();
    const hash = createHash('sha256').update(url).digest('hex');
    const wav = join(this.dir, `${hash}.wav`);
    const metaPath = join(this.dir, `${hash}.json`);
    const entry = index.get(hash);
    if (entry) {
      const meta = await readMeta(metaPath);
      const fresh = this.revalidateMs === 0 || (meta !== undefined && Date.now() - meta.fetchedAt < this.revalidateMs);
      if (fresh) return this.touch(hash, wav);
      const headers: Record<string, string> = {};
      if (meta?.etag) headers['if-none-match'] = meta.etag;
      if (meta?.lastModified) headers['if-modified-since'] = meta.lastModified;
      try {
        const res = await fetchBounded(url, { maxBytes: this.maxFileBytes, timeoutMs: this.fetchTimeoutMs, headers });
        if (res.status === 304) {
          await writeFile(metaPath, JSON.stringify({ ...meta, url, fetchedAt: Date.now() }));
          return this.touch(hash, wav);
        }
        this.downloads++;
        this.decoded.deletePrefix(`url:${url}:`);
        return await this.store(hash, url, res);
      } catch (err) {
        // NOT_FOUND and TOO_LARGE are answers from the origin: the prompt is gone or changed.
        if (err instanceof PlayError && err.code === 'FETCH_FAILED') return this.touch(hash, wav);
        await this.remove(hash);
        throw err;
      }
    }
    const res = await fetchBounded(url, { maxBytes: this.maxFileBytes, timeoutMs: this.fetchTimeoutMs });
    this.downloads++;
    return this.store(hash, url, res);
  }

  private async store(hash: string, url: string, res: { body: Uint8Array; etag?: string; lastModified?: string }): Promise<string> {
    const wav = join(this.dir, `${hash}.wav`);
    const tmp = `${wav}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, res.body);
    await rename(tmp, wav);
    const meta: Meta = { url, etag: res.etag, lastModified: res.lastModified, fetchedAt: Date.now() };
    await writeFile(join(this.dir, `${hash}.json`), JSON.stringify(meta));
    const index = await this.loadIndex();
    const old = index.get(hash);
    if (old) this.diskBytes -= old.size;
    index.set(hash, { size: res.body.byteLength, lastUsed: Date.now(), version: ++this.versions });
    this.diskBytes += res.body.byteLength;
    await this.evict(hash);
    return wav;
  }

  private async touch(hash: string, wav: string): Promise<string> {
    const e = this.index?.get(hash);
    if (e) e.lastUsed = Date.now();
    const now = new Date();
    await utimes(wav, now, now).catch(() => undefined); // recency survives a restart
    return wav;
  }

  /** Evict least-recently-used downloads until under maxBytes, never the one just stored. */
  private async evict(keep: string): Promise<void> {
    const index = this.index!;
    if (this.diskBytes <= this.maxBytes) return;
    const order = [...index.entries()].filter(([h]) => h !== keep).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [h] of order) {
      if (this.diskBytes <= this.maxBytes) break;
      await this.remove(h);
    }
  }

  private async remove(hash: string): Promise<void> {
    const e = this.index?.get(hash);
    if (e) {
      this.index!.delete(hash);
      this.diskBytes -= e.size;
    }
    await unlink(join(this.dir, `${hash}.wav`)).catch(() => undefined);
    await unlink(join(this.dir, `${hash}.json`)).catch(() => undefined);
  }

  private loadIndex(): Promise<Map<string, DiskEntry>> {
    if (this.index) return Promise.resolve(this.index);
    this.indexing ??= (async () => {
      await mkdir(this.dir, { recursive: true });
      const index = new Map<string, DiskEntry>();
      let bytes = 0;
      for (const name of await readdir(this.dir)) {
        const m = /^([0-9a-f]{64})\.wav$/.exec(name);
        if (!m) {
          if (name.endsWith('.tmp')) await unlink(join(this.dir, name)).catch(() => undefined); // torn download
          continue;
        }
        const st = await stat(join(this.dir, name)).catch(() => undefined);
        if (!st) continue;
        index.set(m[1], { size: st.size, lastUsed: st.mtimeMs, version: 0 });
        bytes += st.size;
      }
      this.index = index;
      this.diskBytes = bytes;
      await this.evict('');
      return index;
    })();
    return this.indexing;
  }
}

async function readMeta(path: string): Promise<Meta | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Meta;
  } catch {
    return undefined;
  }
}

/** URL without its query string, for messages (queries may carry tokens). */
function redact(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}
