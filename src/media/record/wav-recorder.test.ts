import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peakFrequency, toneAmplitude, speechLike } from '../dsp/test-signals.ts';
import { WavRecorder } from './wav-recorder.ts';
import { ncc, parseWav } from './wav-test-utils.ts';

const dir = mkdtempSync(join(tmpdir(), 'sb-rec-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function tone(n: number, f: number, rate: number, amp: number, start = 0): Int16Array {
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.round(amp * Math.sin((2 * Math.PI * f * (start + i)) / rate));
  return x;
}

test('mono recording: header fields, sizes and samples match what was written', async () => {
  const path = join(dir, 'mono.wav');
  const rec = WavRecorder.open(path, { rate: 8000, channels: 1 });
  const src = tone(8000 * 3, 440, 8000, 10000);
  for (let i = 0; i < src.length; i += 160) rec.writeMono(src.subarray(i, i + 160));
  const r = await rec.close();
  assert.deepEqual(r, { durationMs: 3000, bytes: 44 + 48000, truncated: false });
  const w = parseWav(path);
  assert.equal(w.dataOffset, 44);
  assert.equal(w.channels, 1);
  assert.equal(w.rate, 8000);
  assert.equal(w.bits, 16);
  assert.equal(w.dataSize, 48000);
  assert.equal(w.riffSize, 36 + 48000);
  assert.equal(w.fileSize, statSync(path).size);
  assert.deepEqual(w.channelsData[0], src);
  assert.ok(Math.abs(peakFrequency(w.channelsData[0].subarray(0, 4000), 8000, 300, 600) - 440) <= 2);
});

test('stereo recording keeps caller on the left and bot on the right', async () => {
  const path = join(dir, 'stereo.wav');
  const rec = WavRecorder.open(path, { rate: 16000, channels: 2 });
  for (let k = 0; k < 50; k++) rec.writeStereo(tone(320, 500, 16000, 9000, k * 320), tone(320, 1500, 16000, 9000, k * 320));
  const r = await rec.close();
  assert.equal(r.durationMs, 1000);
  assert.equal(r.bytes, 44 + 16000 * 4);
  const w = parseWav(path);
  assert.equal(w.channels, 2);
  const [l, rr] = w.channelsData;
  assert.ok(toneAmplitude(l, 16000, 500) > 8500 && toneAmplitude(l, 16000, 1500) < 50);
  assert.ok(toneAmplitude(rr, 16000, 1500) > 8500 && toneAmplitude(rr, 16000, 500) < 50);
});

test('header sizes are rewritten during the recording, not only at close', () => {
  const path = join(dir, 'live.wav');
  const rec = WavRecorder.open(path, { rate: 8000, channels: 1 });
  const f = tone(160, 1000, 8000, 5000);
  for (let k = 0; k < 60; k++) rec.writeMono(f); // 1.2 s, default flush every 500 ms
  const w = parseWav(path);
  assert.equal(w.dataSize, 16000); // two flushes of 500 ms
  assert.equal(w.riffSize, 36 + 16000);
  assert.equal(w.fileSize, 44 + 16000);
  void rec.close();
});

test('duration limit: stops at the limit and reports truncated', async () => {
  const path = join(dir, 'limit.wav');
  const rec = WavRecorder.open(path, { rate: 8000, channels: 1, maxDurationMs: 1010 });
  const f = tone(160, 1000, 8000, 5000);
  for (let k = 0; k < 100; k++) rec.writeMono(f);
  assert.equal(rec.isTruncated, true);
  const r = await rec.close();
  assert.equal(r.truncated, true);
  assert.equal(r.durationMs, 1010);
  assert.equal(parseWav(path).channelsData[0].length, 8080);
});

test('size limit: the file never exceeds maxBytes', async () => {
  const path = join(dir, 'size.wav');
  const rec = WavRecorder.open(path, { rate: 8000, channels: 2, maxBytes: 10_001 });
  const f = tone(160, 1000, 8000, 5000);
  for (let k = 0; k < 100; k++) rec.writeStereo(f, f);
  const r = await rec.close();
  assert.equal(r.truncated, true);
  assert.ok(r.bytes <= 10_001 && r.bytes > 10_001 - 4, `bytes ${r.bytes}`);
  assert.equal(statSync(path).size, r.bytes);
  assert.equal(parseWav(path).dataSize, r.bytes - 44);
});

test('close twice is harmless and returns the same result; writes after close throw', async () => {
  const rec = WavRecorder.open(join(dir, 'twice.wav'), { rate: 8000, channels: 1 });
  rec.writeMono(new Int16Array(160));
  const a = await rec.close();
  const b = await rec.close();
  assert.deepEqual(a, b);
  assert.equal(a.durationMs, 20);
  assert.throws(() => rec.writeMono(new Int16Array(160)), /closed/);
  const stereo = WavRecorder.open(join(dir, 'x.wav'), { rate: 8000, channels: 2 });
  assert.throws(() => stereo.writeMono(new Int16Array(1)), /stereo/);
  await stereo.close();
});

test('a recording of a known WAV (sox-made sweep + speech-like) correlates with the source (NCC > 0.99)', async (t) => {
  const srcPath = join(dir, 'known.wav');
  const r = spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', srcPath, 'synth', '2', 'sine', '200-3400', 'vol', '0.5'], { encoding: 'utf8' });
  let source: Int16Array;
  if (r.status === 0) source = parseWav(srcPath).channelsData[0];
  else {
    t.diagnostic('sox not available: using a synthesized speech-like source');
    source = speechLike(2, 3);
  }
  const recPath = join(dir, 'known-rec.wav');
  const rec = WavRecorder.open(recPath, { rate: 8000, channels: 1 });
  for (let i = 0; i < source.length; i += 160) rec.writeMono(source.subarray(i, Math.min(i + 160, source.length)));
  await rec.close();
  const got = parseWav(recPath).channelsData[0];
  assert.equal(got.length, source.length);
  const c = ncc(source, got);
  assert.ok(c > 0.99, `ncc ${c}`);
});

test('kill -9 mid-recording leaves a valid WAV holding the audio up to the last second', async () => {
  const path = join(dir, 'crash.wav');
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./crash-child.fixture.ts', import.meta.url).pathname, path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let frames = 0;
  const killed = new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('child never reached 2.5 s')); }, 15_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      const lines = s.trim().split('\n');
      frames = Number(lines[lines.length - 1]);
      if (frames >= 125 && child.exitCode === null && !child.killed) {
        child.kill('SIGKILL');
        clearTimeout(guard);
      }
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${_code}`))));
  });
  await killed;
  const w = parseWav(path);
  assert.equal(w.riffSize, 36 + w.dataSize);
  assert.ok(w.dataSize >= 1.5 * 16000, `only ${w.dataSize} bytes of audio in the header`);
  assert.ok(w.dataSize <= frames * 320, 'header claims more than was written');
  const x = w.channelsData[0];
  assert.ok(Math.abs(peakFrequency(x.subarray(0, 4000), 8000, 800, 1200) - 1000) <= 2);
  const amp = toneAmplitude(x, 8000, 1000, x.length - 4000, 4000);
  assert.ok(amp > 7500 && amp < 8500, `tone amplitude at the end ${amp}`);
});
