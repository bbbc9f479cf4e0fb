// PromptCache against a local HTTP server on 127.0.0.1:0: one download per URL, decoded copies
// from memory, size limits enforced before/while reading, HTTP errors and timeouts, LRU
// eviction on disk, conditional re-fetch with ETag.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { peakFrequency } from '../dsp/test-signals.ts';
import { PlayError } from './play-error.ts';
import { openPlaylist } from './playlist.ts';
import { PromptCache } from './prompt-cache.ts';

let dir: string;
let server: Server;
let base: string;
let wav: Uint8Array;
let wav2: Uint8Array;
const hits = new Map<string, number>();
let etag = '"v1"';
let endlessBytesSent = 0;
const sockets = new Set<import('node:net').Socket>();

function handler(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url!.split('?')[0];
  hits.set(path, (hits.get(path) ?? 0) + 1);
  if (path.startsWith('/prompt') || path.startsWith('/other')) {
    if (req.headers['if-none-match'] === etag) { res.writeHead(304, { etag }).end(); return; }
    const body = etag === '"v1"' || path.startsWith('/other') ? wav : wav2;
    res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': body.length, etag }).end(body);
  } else if (path === '/big') {
    res.writeHead(200, { 'content-length': 50_000_000 });
    res.write(new Uint8Array(1000)); // never sends the rest: the client must not wait for it
  } else if (path === '/endless') {
    res.writeHead(200, { 'content-type': 'audio/wav' }); // chunked, no length
    const chunk = new Uint8Array(16 * 1024);
    const pump = () => {
      while (!res.destroyed && endlessBytesSent < 100_000_000 && res.write(chunk)) endlessBytesSent += chunk.length;
      if (!res.destroyed && endlessBytesSent < 100_000_000) res.once('drain', pump);
    };
    res.on('close', () => undefined);
    pump();
  } else if (path === '/garbage') {
    res.writeHead(200).end('<html>not a wav</html>');
  } else if (path === '/slow') {
    // never answers
  } else if (path === '/missing') {
    res.writeHead(404).end();
  } else {
    res.writeHead(500).end();
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-cache-'));
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'a-law', join(dir, 'a.wav'), 'synth', '0.5', 'sine', '1000']);
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'a-law', join(dir, 'b.wav'), 'synth', '0.5', 'sine', '700']);
  wav = readFileSync(join(dir, 'a.wav'));
  wav2 = readFileSync(join(dir, 'b.wav'));
  server = createServer(handler);
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const code = (c: PlayError['code']) => (e: unknown) => e instanceof PlayError && e.code === c;

describe('PromptCache', () => {
  it('downloads a URL once, then serves the decoded prompt from memory', async () => {
    const cache = new PromptCache({ dir: join(dir, 'c1') });
    const [a, b] = await Promise.all([cache.loadUrl(`${base}/prompt1`, 8000), cache.loadUrl(`${base}/prompt1`, 8000)]);
    assert.equal(a, b, 'concurrent loads share one decode');
    const c = await cache.loadUrl(`${base}/prompt1`, 8000);
    assert.equal(c, a);
    assert.equal(hits.get('/prompt1'), 1);
    assert.equal(peakFrequency(a.subarray(400, 3600), 8000, 500, 1500, 10), 1000);
    const wide = await cache.loadUrl(`${base}/prompt1`, 16000);
    assert.equal(wide.length, 8000);
    assert.equal(hits.get('/prompt1'), 1, 'another rate decodes the cached file, no new download');
    const s = cache.stats();
    assert.deepEqual([s.downloads, s.diskFiles, s.diskBytes, s.memoryEntries], [1, 1, wav.length, 2]);
    // A new cache over the same directory (a restart) finds the file on disk.
    const again = new PromptCache({ dir: join(dir, 'c1') });
    await again.loadUrl(`${base}/prompt1`, 8000);
    assert.equal(hits.get('/prompt1'), 1);
  });

  it('refuses an oversize file from Content-Length, and a chunked one while streaming', async () => {
    const cache = new PromptCache({ dir: join(dir, 'c2'), maxFileBytes: 1_000_000, fetchTimeoutMs: 5000 });
    const t0 = Date.now();
    await assert.rejects(cache.loadUrl(`${base}/big`, 8000), code('TOO_LARGE'));
    await assert.rejects(cache.loadUrl(`${base}/endless`, 8000), code('TOO_LARGE'));
    assert.ok(Date.now() - t0 < 4000, 'did not wait for the bodies');
    assert.ok(endlessBytesSent < 20_000_000, `stopped reading early (${endlessBytesSent} bytes sent)`);
    assert.deepEqual(readdirSync(join(dir, 'c2')), [], 'nothing stored');
  });

  it('maps 404 to NOT_FOUND, other statuses and timeouts to FETCH_FAILED, junk to UNSUPPORTED_FORMAT', async () => {
    const cache = new PromptCache({ dir: join(dir, 'c3'), fetchTimeoutMs: 300 });
    await assert.rejects(cache.loadUrl(`${base}/missing`, 8000), code('NOT_FOUND'));
    await assert.rejects(cache.loadUrl(`${base}/error`, 8000), (e: unknown) => code('FETCH_FAILED')(e) && /HTTP 500/.test((e as Error).message));
    const t0 = Date.now();
    await assert.rejects(cache.loadUrl(`${base}/slow`, 8000), (e: unknown) => code('FETCH_FAILED')(e) && /timed out/.test((e as Error).message));
    assert.ok(Date.now() - t0 < 2000);
    await assert.rejects(cache.loadUrl(`${base}/garbage`, 8000), code('UNSUPPORTED_FORMAT'));
    await assert.rejects(cache.loadUrl('ftp://127.0.0.1/x.wav', 8000), code('FETCH_FAILED'));
    await assert.rejects(cache.loadUrl('http://127.0.0.1:1/x.wav', 8000), code('FETCH_FAILED'));
  });

  it('keeps the disk under maxBytes by evicting the least recently used prompt', async () => {
    const cache = new PromptCache({ dir: join(dir, 'c4'), maxBytes: wav.length * 2 + 10 });
    await cache.fetch(`${base}/other1`);
    await new Promise((r) => setTimeout(r, 5));
    await cache.fetch(`${base}/other2`);
    await new Promise((r) => setTimeout(r, 5));
    await cache.fetch(`${base}/other1`); // touch: other2 is now the oldest
    await new Promise((r) => setTimeout(r, 5));
    await cache.fetch(`${base}/other3`);
    assert.equal(cache.stats().diskFiles, 2);
    assert.ok(cache.stats().diskBytes <= wav.length * 2 + 10);
    const before2 = hits.get('/other2'), before1 = hits.get('/other1');
    await cache.fetch(`${base}/other1`);
    assert.equal(hits.get('/other1'), before1, 'other1 kept');
    await cache.fetch(`${base}/other2`);
    assert.equal(hits.get('/other2'), before2! + 1, 'other2 was evicted and fetched again');
  });

  it('re-validates with If-None-Match after revalidateMs: 304 keeps the file, 200 replaces it', async () => {
    const cache = new PromptCache({ dir: join(dir, 'c5'), revalidateMs: 1 });
    const first = await cache.loadUrl(`${base}/prompt5`, 8000);
    await new Promise((r) => setTimeout(r, 5));
    const same = await cache.loadUrl(`${base}/prompt5`, 8000);
    assert.equal(same, first, '304: decoded copy reused');
    assert.equal(cache.stats().downloads, 1);
    etag = '"v2"';
    try {
      await new Promise((r) => setTimeout(r, 5));
      const changed = await cache.loadUrl(`${base}/prompt5`, 8000);
      assert.equal(cache.stats().downloads, 2);
      assert.equal(peakFrequency(changed.subarray(400, 3600), 8000, 500, 1500, 10), 700);
    } finally {
      etag = '"v1"';
    }
  });

  it('local files go through the decoded cache too, and openPlaylist uses it', async () => {
    const cache = new PromptCache({ dir: join(dir, 'c6') });
    const a = await cache.loadFile(join(dir, 'a.wav'), 8000);
    assert.equal(await cache.loadFile(join(dir, 'a.wav'), 8000), a);
    assert.equal(cache.stats().memoryHits, 1);
    const src = await openPlaylist([{ kind: 'url', url: `${base}/prompt1` }, { kind: 'file', path: join(dir, 'a.wav') }], 8000, { cache });
    const f = new Int16Array(160);
    let n = 0;
    while (src.read(f)) n++;
    assert.equal(n, 50);
    // Without a cache, URLs are fetched straight into memory.
    const direct = await openPlaylist([{ kind: 'url', url: `${base}/prompt1` }], 8000);
    direct.close();
  });
});
