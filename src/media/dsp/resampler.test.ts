import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Resampler } from './resampler.ts';
import { bandEnergy, peakFrequency, toInt16, toneAmplitude, tones } from './test-signals.ts';

/** Run a whole signal through a resampler in 20 ms frames, as the media worker will. */
function run(r: Resampler, x: Int16Array): Int16Array {
  const frame = (r.inRate / 1000) * 20;
  const out = new Int16Array(r.maxOutput(x.length) + 64);
  const buf = new Int16Array(r.maxOutput(frame));
  let o = 0;
  for (let i = 0; i + frame <= x.length; i += frame) {
    const n = r.process(x.subarray(i, i + frame), buf);
    out.set(buf.subarray(0, n), o);
    o += n;
  }
  return out.subarray(0, o);
}

const db = (x: number) => 10 * Math.log10(x);

test('8 → 16 kHz keeps a 3.4 kHz tone (±20 Hz, < 1 dB loss) and puts nothing in 4–8 kHz (≥ 40 dB down)', () => {
  const x = toInt16(tones(8000, 8000, [{ f: 3400, a: 10000 }]));
  const y = run(new Resampler(8000, 16000), x);
  assert.equal(y.length, 16000);
  const steady = y.subarray(1600, 16000 - 800); // skip the filter's start-up
  const f = peakFrequency(steady, 16000, 3300, 3500);
  assert.ok(Math.abs(f - 3400) <= 20, `frequency ${f}`);
  const a = toneAmplitude(steady, 16000, 3400);
  const lossDb = 20 * Math.log10(10000 / a);
  assert.ok(lossDb < 1 && lossDb > -1, `amplitude ${a.toFixed(0)} (${lossDb.toFixed(2)} dB)`);
  const tone = bandEnergy(steady, 16000, 3300, 3500);
  const high = bandEnergy(steady, 16000, 4000, 8000);
  assert.ok(db(tone / high) >= 40, `4–8 kHz is ${db(tone / high).toFixed(1)} dB below the tone`);
});

test('16 → 8 kHz suppresses a 6 kHz tone by ≥ 40 dB (no alias at 2 kHz) and passes 1 kHz', () => {
  const r = new Resampler(16000, 8000);
  const x = toInt16(tones(16000, 16000, [{ f: 6000, a: 10000 }, { f: 1000, a: 10000 }]));
  const y = run(r, x).subarray(800);
  const alias = toneAmplitude(y, 8000, 2000);
  const pass = toneAmplitude(y, 8000, 1000);
  assert.ok(20 * Math.log10(10000 / alias) >= 40, `alias at 2 kHz only ${(20 * Math.log10(10000 / alias)).toFixed(1)} dB down`);
  assert.ok(Math.abs(20 * Math.log10(pass / 10000)) < 0.5, `1 kHz level ${pass}`);
});

/**
 * SNR of a two-tone round trip: fit each known tone (sine + cosine, least squares) to the output
 * and compare the fitted tones' power with the residual. Independent of the (fractional) delay.
 */
function roundTripSnr(a: number, b: number, f: number): number {
  const freqs = [f, f * 0.37];
  const x = toInt16(tones(a, a, [{ f: freqs[0], a: 8000 }, { f: freqs[1], a: 5000 }]));
  const y = run(new Resampler(b, a), run(new Resampler(a, b), x)).subarray(a / 10, a - a / 10);
  const basis = freqs.flatMap((fr) => [0, 1].map((q) => Float64Array.from(y, (_, i) => Math.sin((2 * Math.PI * fr * i) / a + q * Math.PI / 2))));
  const k = basis.length;
  const m = Array.from({ length: k }, (_, r) => [...basis.map((c) => c.reduce((s2, v, i) => s2 + v * basis[r][i], 0)), basis[r].reduce((s2, v, i) => s2 + v * y[i], 0)]);
  for (let c = 0; c < k; c++) for (let r = 0; r < k; r++) if (r !== c) { const g = m[r][c] / m[c][c]; for (let j = c; j <= k; j++) m[r][j] -= g * m[c][j]; }
  const coef = m.map((row, r) => row[k] / row[r]);
  let sig = 0, res = 0;
  for (let i = 0; i < y.length; i++) {
    let fit = 0;
    for (let j = 0; j < k; j++) fit += coef[j] * basis[j][i];
    sig += fit * fit;
    res += (y[i] - fit) ** 2;
  }
  const level = Math.hypot(coef[0], coef[1]);
  assert.ok(Math.abs(20 * Math.log10(level / 8000)) < 0.5, `${a}→${b}→${a}: tone level ${level.toFixed(0)}`);
  return db(sig / res);
}

test('48 ↔ 16 and 24 ↔ 16 kHz round trips keep in-band tones at level with SNR > 40 dB', () => {
  for (const [a, b] of [[48000, 16000], [24000, 16000], [16000, 48000], [16000, 24000], [8000, 48000]]) {
    const snr = roundTripSnr(a, b, 1000);
    assert.ok(snr > 40, `${a}→${b}→${a}: ${snr.toFixed(1)} dB`);
  }
});

test('frames of any size give the same output as one big block (state carries across frames)', () => {
  const x = toInt16(tones(4800, 48000, [{ f: 440, a: 9000 }]));
  const whole = new Int16Array(2000);
  const n = new Resampler(48000, 16000).process(x, whole);
  const r = new Resampler(48000, 16000);
  const pieces: number[] = [];
  const buf = new Int16Array(1000);
  for (let i = 0; i < x.length;) {
    const len = Math.min(x.length - i, 1 + ((i * 7) % 333));
    const m = r.process(x.subarray(i, i + len), buf);
    pieces.push(...buf.subarray(0, m));
    i += len;
  }
  assert.equal(pieces.length, n);
  assert.deepEqual(Int16Array.from(pieces), whole.subarray(0, n));
});

test('rejects non-integer rates', () => {
  assert.throws(() => new Resampler(8000.5, 16000), RangeError);
});

// Golden outputs, recorded before the sparse/dense loop choice was hoisted out of the per-sample
// loop (a change that must not alter a single sample): pseudo-random noise plus a sine, 25 blocks
// with every fifth one an odd length (history and phase carried across uneven blocks), sha256 of
// the int16 output (first 32 hex digits). Both inner loops are covered: sparse (half-band and
// 2:3-type ratios) and dense (1:6, 6:1).
const GOLDEN: [number, number, string][] = [
  [8000, 16000, '0be27150e3e4d69f1fab5582c1139e65'], // sparse
  [16000, 8000, '3e3a96528f6396d5b7720c93d9615a28'], // sparse
  [16000, 48000, 'dca7861b3ea4e1a5576d6c0ead1fd380'], // sparse
  [48000, 16000, 'e57dbc84ea9f8247c902362333e29a41'], // sparse
  [8000, 48000, '32a868eb208c0e1eaf97708e25262ff5'], // dense
  [48000, 8000, 'cd11e490f4e68a6c10e206ea56bcd18f'], // dense
  [24000, 16000, '41307a949a61aad3bc532563e51dd203'], // sparse
  [16000, 24000, '87e7a0507a61162eb1be9663617f8782'], // sparse
  [48000, 24000, '76fd478e0492ae6ea1146c2cebcf9ef5'], // sparse
];

test('outputs are bit-identical to the recorded ones over 9 ratios, sparse and dense taps, uneven blocks', () => {
  for (const [a, b, want] of GOLDEN) {
    const rs = new Resampler(a, b);
    const h = createHash('sha256');
    let seed = 12345;
    for (let f = 0; f < 25; f++) {
      const n = f % 5 === 4 ? a / 100 + 3 : a / 50;
      const inp = new Int16Array(n);
      for (let i = 0; i < n; i++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        inp[i] = ((seed >> 8) % 40000) - 20000 + Math.round(6000 * Math.sin(f * n + i));
      }
      const out = new Int16Array(rs.maxOutput(n));
      const got = rs.process(inp, out, n);
      h.update(Buffer.from(out.buffer, 0, got * 2));
    }
    assert.equal(h.digest('hex').slice(0, 32), want, `${a} → ${b} Hz`);
  }
});
