// Tones as audio: frequencies by Goertzel, cadence by frame energy, level −10 dBFS peak,
// phase continuity independent of frame size.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { toneAmplitude } from '../dsp/test-signals.ts';
import { ToneSource } from './tone-source.ts';

function render(src: ToneSource, frames: number, frame = src.rate / 50): Int16Array {
  const out = new Int16Array(frames * frame);
  const f = new Int16Array(frame);
  for (let i = 0; i < frames; i++) { src.read(f); out.set(f, i * frame); }
  return out;
}
const rms = (x: Int16Array, a: number, b: number) => { let e = 0; for (let i = a; i < b; i++) e += x[i] * x[i]; return Math.sqrt(e / (b - a)); };

describe('ToneSource', () => {
  it('ringback is 440 + 480 Hz, 2 s on / 4 s off, repeating, peak ≈ −10 dBFS', () => {
    const x = render(new ToneSource('ringback', 8000), 650); // 13 s
    const on = x.subarray(800, 15200);
    for (const f of [440, 480]) assert.ok(Math.abs(toneAmplitude(on, 8000, f) - 5181) < 150, `${f} Hz`);
    assert.ok(toneAmplitude(on, 8000, 620) < 100);
    let peak = 0; for (const s of on) peak = Math.max(peak, Math.abs(s));
    assert.ok(peak > 10000 && peak <= 10362, `peak ${peak}`);
    // second 1.5–1.9 on, 2.1–5.9 off, 6.1–7.9 on again, 8.1–11.9 off, 12.1– on.
    assert.ok(rms(x, 12000, 15200) > 4000);
    assert.equal(rms(x, 16800, 47200), 0);
    assert.ok(rms(x, 48800, 63200) > 4000);
    assert.equal(rms(x, 64800, 95200), 0);
    assert.ok(rms(x, 96800, 104000) > 4000);
  });

  it('busy is 480 + 620 Hz, 0.5 s on / 0.5 s off', () => {
    const x = render(new ToneSource('busy', 16000), 100);
    const on = x.subarray(800, 7200);
    for (const f of [480, 620]) assert.ok(toneAmplitude(on, 16000, f) > 5000, `${f} Hz`);
    assert.equal(rms(x, 8200, 15800), 0);
    assert.ok(rms(x, 16800, 23200) > 4000);
  });

  it('beep is 1 kHz for 250 ms, then read() returns false', () => {
    const src = new ToneSource('beep', 8000);
    const f = new Int16Array(160);
    let frames = 0;
    while (src.read(f)) frames++;
    assert.equal(frames, 13); // 12.5 frames: the last one zero-padded
    assert.equal(f.every((s) => s === 0), true);
    const x = render(new ToneSource('beep', 8000), 12);
    assert.ok(Math.abs(toneAmplitude(x.subarray(100, 1900), 8000, 1000) - 10362) < 200);
  });

  it('is phase-continuous: the stream is identical whatever the frame size', () => {
    const spec = { freqs: [350, 440], onMs: 300, offMs: 100, totalMs: 0 };
    const a = render(new ToneSource(spec, 48000), 100, 960);
    const b = render(new ToneSource(spec, 48000), 400, 240);
    assert.deepEqual(a, b);
    // No click inside the on period: sample-to-sample steps stay under the tone's own slope.
    let maxStep = 0;
    for (let i = 1; i < 14000; i++) maxStep = Math.max(maxStep, Math.abs(a[i] - a[i - 1]));
    assert.ok(maxStep < (5181 * 2 * Math.PI * (350 + 440)) / 48000 + 20, `max step ${maxStep}`);
  });

  it('custom tones play totalMs, default one cycle; bad specs are refused', () => {
    const src = new ToneSource({ freqs: [1000], onMs: 100, offMs: 100 }, 8000);
    let frames = 0; const f = new Int16Array(160);
    while (src.read(f)) frames++;
    assert.equal(frames, 10);
    assert.throws(() => new ToneSource({ freqs: [5000], onMs: 100, offMs: 0 }, 8000), RangeError);
    assert.throws(() => new ToneSource({ freqs: [], onMs: 100, offMs: 0 }, 8000), RangeError);
    assert.throws(() => new ToneSource({ freqs: [440], onMs: 0, offMs: 0 }, 8000), RangeError);
  });

  it('close() ends it at once', () => {
    const src = new ToneSource('ringback', 8000);
    const f = new Int16Array(160);
    assert.equal(src.read(f), true);
    src.close();
    assert.equal(src.read(f), false);
  });
});
