import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peakFrequency, toneAmplitude } from '../dsp/test-signals.ts';
import { StreamIn } from './stream-in.ts';
import { StreamOut } from './stream-out.ts';

function tone(n: number, f: number, rate: number, amp: number, start = 0): Int16Array {
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.round(amp * Math.sin((2 * Math.PI * f * (start + i)) / rate));
  return x;
}

function concat(frames: Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((s, f) => s + f.length, 0));
  let o = 0;
  for (const f of frames) { out.set(f, o); o += f.length; }
  return out;
}

for (const outRate of [16000, 24000] as const) {
  test(`StreamOut 8 kHz → ${outRate / 1000} kHz: 20 ms frames, a 1 kHz tone keeps its frequency and level`, () => {
    const s = new StreamOut({ inRate: 8000, outRate });
    const frames: Int16Array[] = [];
    for (let k = 0; k < 50; k++) {
      s.push(tone(160, 1000, 8000, 8000, k * 160));
      if (k % 10 === 9) frames.push(...s.take()); // a consumer keeping up (every 200 ms)
    }
    assert.ok(frames.length >= 49 && frames.length <= 50, `frames ${frames.length}`);
    for (const f of frames) assert.equal(f.length, outRate / 50);
    const x = concat(frames).subarray(outRate / 10); // skip the filter's start-up
    assert.ok(Math.abs(peakFrequency(x, outRate, 900, 1100) - 1000) <= 2);
    const a = toneAmplitude(x, outRate, 1000);
    assert.ok(Math.abs(a - 8000) < 8000 * 0.03, `amplitude ${a}`);
    assert.equal(s.take().length, 0, 'take hands frames over once');
    assert.equal(s.dropped, 0);
  });
}

test('StreamOut with a slow consumer sheds the OLDEST audio: the queue stays bounded and holds the newest', () => {
  const s = new StreamOut({ inRate: 16000, outRate: 16000, maxQueueMs: 200 });
  for (let k = 0; k < 90; k++) s.push(tone(320, 500, 16000, 8000, k * 320));
  for (let k = 90; k < 100; k++) s.push(tone(320, 1500, 16000, 8000, k * 320));
  assert.equal(s.queuedMs, 200);
  assert.equal(s.dropped, 90);
  const x = concat(s.take());
  assert.equal(x.length, 3200);
  assert.ok(toneAmplitude(x, 16000, 1500) > 7500 && toneAmplitude(x, 16000, 500) < 100, 'queue holds the newest audio');
  // After the consumer caught up, nothing more is shed.
  s.push(tone(320, 1500, 16000, 8000));
  assert.equal(s.take().length, 1);
  assert.equal(s.dropped, 90);
});

test('StreamIn: 16 kHz chunks of odd sizes are read as 8 kHz 20 ms frames with the tone intact', () => {
  const s = new StreamIn({ inRate: 16000, outRate: 8000 });
  const src = tone(16000, 1000, 16000, 9000);
  for (let i = 0; i < src.length; i += 777) s.enqueue(src.subarray(i, Math.min(src.length, i + 777)));
  assert.ok(Math.abs(s.queuedMs - 1000) <= 1);
  const frames: Int16Array[] = [];
  for (let k = 0; k < 50; k++) {
    const f = new Int16Array(160);
    assert.equal(s.read(f), true);
    frames.push(f);
  }
  const x = concat(frames).subarray(800);
  assert.ok(Math.abs(peakFrequency(x, 8000, 900, 1100) - 1000) <= 2);
  assert.ok(Math.abs(toneAmplitude(x, 8000, 1000) - 9000) < 9000 * 0.03);
  // Underrun: silence, still open (true), counted.
  const f = new Int16Array(160).fill(7);
  assert.equal(s.read(f), true);
  assert.ok(f.every((v) => v === 0));
  assert.equal(s.playing, false);
  assert.ok(s.underruns >= 1);
});

test('mark fires when the audio before it has been READ (played), not when it was queued', () => {
  const s = new StreamIn({ inRate: 16000, outRate: 16000 });
  const fired: [string, boolean, number][] = [];
  let reads = 0;
  s.onMark = (name, cleared) => fired.push([name, cleared, reads]);
  s.enqueue(tone(16000, 440, 16000, 5000)); // 1 s = 50 frames
  s.mark('first');
  s.enqueue(tone(8000, 440, 16000, 5000)); // 0.5 s
  s.mark('second');
  assert.deepEqual(fired, [], 'nothing fires at queue time');
  const f = new Int16Array(320);
  for (reads = 1; reads <= 80; reads++) s.read(f);
  assert.deepEqual(fired, [['first', false, 50], ['second', false, 75]]);
  // A mark with nothing queued before it fires on the next read.
  s.mark('empty');
  assert.equal(fired.length, 2);
  reads = 81;
  s.read(f);
  assert.deepEqual(fired[2], ['empty', false, 81]);
});

test('clear() flushes queued audio (barge-in) and reports pending marks as cleared; close() ends the source', () => {
  const s = new StreamIn({ inRate: 24000, outRate: 8000 });
  const fired: [string, boolean][] = [];
  s.onMark = (name, cleared) => fired.push([name, cleared]);
  s.enqueue(tone(24000, 700, 24000, 5000));
  s.mark('prompt-end');
  const f = new Int16Array(160);
  for (let k = 0; k < 10; k++) s.read(f);
  assert.ok(s.playing);
  s.clear();
  assert.deepEqual(fired, [['prompt-end', true]]);
  assert.equal(s.queuedMs, 0);
  assert.equal(s.read(f), true);
  assert.ok(f.every((v) => v === 0), 'silence right after clear');
  // New audio after the clear plays normally.
  s.enqueue(tone(2400, 700, 24000, 5000));
  s.read(f);
  assert.ok(f.some((v) => v !== 0));
  s.mark('late');
  s.close();
  s.close();
  assert.deepEqual(fired[1], ['late', true]);
  assert.equal(s.read(f), false);
  s.enqueue(tone(240, 700, 24000, 5000));
  assert.equal(s.queuedMs, 0, 'enqueue after close is ignored');
});

test('StreamIn bounds its queue: the oldest audio beyond maxQueueMs is discarded', () => {
  const s = new StreamIn({ inRate: 16000, outRate: 16000, maxQueueMs: 500 });
  const fired: [string, boolean][] = [];
  s.onMark = (name, cleared) => fired.push([name, cleared]);
  s.enqueue(tone(16000, 440, 16000, 5000));
  s.mark('m');
  s.enqueue(tone(16000, 440, 16000, 5000));
  assert.equal(s.queuedMs, 500);
  assert.equal(s.overflowed, 24000);
  assert.deepEqual(fired, [['m', true]]);
});
