// FrameConverter: prepare() builds what convert() would build lazily (same output, sample for
// sample), refuses a ratio the Resampler cannot convert with the Resampler's RangeError, and keeps
// the filter state when called again for the same pair (so a conference can prepare at join time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameConverter } from './frame-converter.ts';

function tone(rate: number, hz: number, frames: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let f = 0; f < frames; f++) {
    const fr = new Int16Array(rate / 50);
    for (let i = 0; i < fr.length; i++) fr[i] = Math.round(9000 * Math.sin((2 * Math.PI * hz * (f * fr.length + i)) / rate));
    out.push(fr);
  }
  return out;
}

test('prepare() then convert() gives exactly what a lazily built converter gives; one frame of the target rate each', () => {
  for (const [from, to] of [[8000, 16000], [48000, 8000], [16000, 48000], [24000, 16000]]) {
    const lazy = new FrameConverter();
    const eager = new FrameConverter();
    eager.prepare(from, to);
    let energy = 0;
    for (const fr of tone(from, 700, 10)) {
      const a = Int16Array.from(lazy.convert(fr, from, to));
      eager.prepare(from, to); // the same pair again mid-stream: a no-op (the filter history is kept)
      const b = eager.convert(fr, from, to);
      assert.equal(b.length, to / 50);
      assert.deepEqual([...b], [...a], `${from} → ${to}`);
      for (const s of b) energy += s * s;
    }
    assert.ok(energy > 0, 'audio came through');
  }
});

test('prepare() refuses a ratio the resampler cannot convert, as the Resampler does', () => {
  assert.throws(() => new FrameConverter().prepare(44_100 - 350, 16_000), RangeError);
});
