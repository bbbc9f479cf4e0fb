// Playlists: items joined at sample level, loops, PCM resampling, errors up front, close.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { peakFrequency, toneAmplitude } from '../dsp/test-signals.ts';
import type { AudioSource } from '../audio.ts';
import { PlayError } from './play-error.ts';
import { openPlaylist } from './playlist.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sb-playlist-'));
  // The Huawei prompt format: A-law, 8 kHz, mono.
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'a-law', join(dir, 'a.wav'), 'synth', '0.5', 'sine', '1000']);
  execFileSync('sox', ['-n', '-r', '44100', '-c', '2', '-b', '16', join(dir, 'b.wav'), 'synth', '0.3', 'sine', '2000']);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function drain(src: AudioSource, max = 100_000): Int16Array {
  const f = new Int16Array(src.rate / 50);
  const chunks: Int16Array[] = [];
  while (chunks.length < max && src.read(f)) chunks.push(f.slice());
  const out = new Int16Array(chunks.length * f.length);
  chunks.forEach((c, i) => out.set(c, i * f.length));
  return out;
}

describe('openPlaylist', () => {
  it('plays file, silence, 44.1 kHz stereo file and pcm back to back at the media rate', async () => {
    const pcm = Int16Array.from({ length: 1600 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 500 * i) / 16000)));
    const src = await openPlaylist([
      { kind: 'file', path: join(dir, 'a.wav') },
      { kind: 'silence', ms: 110 },
      { kind: 'file', path: join(dir, 'b.wav') },
      { kind: 'pcm', rate: 16000, samples: pcm },
    ], 8000);
    assert.equal(src.rate, 8000);
    const x = drain(src);
    // 4000 + 880 + 2400 + 800 = 8080 samples → 51 frames (last one zero-padded), no gaps between items.
    assert.equal(x.length, 51 * 160);
    assert.equal(peakFrequency(x.subarray(400, 3600), 8000, 300, 3500, 10), 1000);
    assert.equal(x.subarray(4100, 4800).every((s) => s === 0), true);
    assert.equal(peakFrequency(x.subarray(5000, 7100), 8000, 300, 3500, 10), 2000);
    assert.equal(peakFrequency(x.subarray(7350, 7980), 8000, 300, 3500, 10), 500);
    assert.equal(src.read(new Int16Array(160)), false);
  });

  it('loops N times, or forever with loop 0 until closed', async () => {
    const three = drain(await openPlaylist([{ kind: 'tone', tone: 'beep' }, { kind: 'silence', ms: 50 }], 8000, { loop: 3 }));
    assert.equal(three.length, Math.ceil((3 * 2400) / 160) * 160);
    for (const start of [0, 2400, 4800]) assert.ok(toneAmplitude(three, 8000, 1000, start + 100, 1800) > 9000);
    const forever = await openPlaylist([{ kind: 'file', path: join(dir, 'a.wav') }], 16000, { loop: 0 });
    const f = new Int16Array(320);
    for (let i = 0; i < 500; i++) assert.equal(forever.read(f), true); // 10 s of a 0.5 s prompt
    forever.close();
    assert.equal(forever.read(f), false);
    // A looped list with nothing in it ends instead of spinning.
    assert.equal(drain(await openPlaylist([{ kind: 'silence', ms: 0 }], 8000, { loop: 0 })).length, 0);
  });

  it('fails up front with PlayError when any item cannot be played', async () => {
    await assert.rejects(
      openPlaylist([{ kind: 'tone', tone: 'beep' }, { kind: 'file', path: join(dir, 'missing.wav') }], 8000),
      (e: unknown) => e instanceof PlayError && e.code === 'NOT_FOUND' && e.message.includes('missing.wav'),
    );
    await assert.rejects(openPlaylist([{ kind: 'pcm', rate: 7, samples: new Int16Array(8) }], 8000), (e: unknown) => e instanceof PlayError && e.code === 'UNSUPPORTED_FORMAT');
    await assert.rejects(openPlaylist([{ kind: 'tone', tone: { freqs: [9000], onMs: 10, offMs: 0 } }], 8000), RangeError);
  });

  it('close() mid-prompt is immediate and idempotent (barge-in)', async () => {
    const src = await openPlaylist([{ kind: 'file', path: join(dir, 'a.wav') }], 8000);
    const f = new Int16Array(160);
    assert.equal(src.read(f), true);
    src.close();
    src.close();
    assert.equal(src.read(f), false);
    assert.equal(f.every((s) => s === 0), true);
  });
});
