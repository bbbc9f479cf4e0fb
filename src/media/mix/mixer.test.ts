import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toneAmplitude } from '../dsp/test-signals.ts';
import { Mixer, SOFT_KNEE, softClip } from './mixer.ts';

const RATE = 8000;
const N = 160;
const FREQ: Record<string, number> = { a: 500, b: 1100, c: 1700, d: 2300 };

/** Run `ticks` ticks where every participant in `talkers` pushes its own tone; return what each listener heard. */
function run(m: Mixer, talkers: string[], listeners: string[], ticks = 25, amp = 6000): Record<string, Int16Array> {
  const heard: Record<string, Int16Array> = Object.fromEntries(listeners.map((l) => [l, new Int16Array(ticks * N)]));
  const frame = new Int16Array(N);
  const out = new Int16Array(N);
  for (let t = 0; t < ticks; t++) {
    for (const id of talkers) {
      for (let i = 0; i < N; i++) frame[i] = Math.round(amp * Math.sin((2 * Math.PI * FREQ[id] * (t * N + i)) / RATE));
      m.pushFrame(id, frame);
    }
    for (const l of listeners) {
      m.mixFor(l, out);
      heard[l].set(out, t * N);
    }
    m.tick();
  }
  return heard;
}

/** Amplitude of each participant's tone in `x`. */
function levels(x: Int16Array): Record<string, number> {
  return Object.fromEntries(Object.entries(FREQ).map(([id, f]) => [id, toneAmplitude(x, RATE, f)]));
}

function assertHears(x: Int16Array, expected: Record<string, number>, tol = 0.03): void {
  const got = levels(x);
  for (const id of Object.keys(FREQ)) {
    const want = expected[id] ?? 0;
    if (want === 0) assert.ok(got[id] < 30, `${id} should be absent, amplitude ${got[id].toFixed(1)}`);
    else assert.ok(Math.abs(got[id] - want) <= want * tol, `${id} amplitude ${got[id].toFixed(1)}, want ${want}`);
  }
}

test('3 participants with different tones: each hears exactly the other two, never themselves', () => {
  const m = new Mixer(RATE);
  for (const id of ['a', 'b', 'c']) m.add(id);
  const h = run(m, ['a', 'b', 'c'], ['a', 'b', 'c']);
  assertHears(h.a, { b: 6000, c: 6000 });
  assertHears(h.b, { a: 6000, c: 6000 });
  assertHears(h.c, { a: 6000, b: 6000 });
});

test('mute: a muted participant is heard by nobody but still hears the others', () => {
  const m = new Mixer(RATE);
  for (const id of ['a', 'b', 'c']) m.add(id);
  m.set('b', { muted: true });
  const h = run(m, ['a', 'b', 'c'], ['a', 'b', 'c']);
  assertHears(h.a, { c: 6000 });
  assertHears(h.b, { a: 6000, c: 6000 });
  assertHears(h.c, { a: 6000 });
  m.set('b', { muted: false });
  assertHears(run(m, ['a', 'b', 'c'], ['a'], 25).a, { b: 6000, c: 6000 });
});

test('gain −6 dB halves the amplitude others hear (±3 %), own mix unaffected', () => {
  const m = new Mixer(RATE);
  m.add('a', { gain: -6 });
  m.add('b');
  m.add('c');
  const h = run(m, ['a', 'b', 'c'], ['a', 'b']);
  assertHears(h.b, { a: 6000 * 10 ** (-6 / 20), c: 6000 });
  assertHears(h.a, { b: 6000, c: 6000 });
  assert.equal(m.get('a')?.gain, -6);
});

test('whisper (coach): only the named participant hears the coach; the coach hears everyone', () => {
  const m = new Mixer(RATE);
  m.add('a'); // agent
  m.add('b'); // customer
  m.add('c', { hearsOnly: 'a' }); // coach
  const h = run(m, ['a', 'b', 'c'], ['a', 'b', 'c']);
  assertHears(h.a, { b: 6000, c: 6000 });
  assertHears(h.b, { a: 6000 });
  assertHears(h.c, { a: 6000, b: 6000 });
  // Barge: the coach becomes a normal participant.
  m.set('c', { hearsOnly: undefined });
  assertHears(run(m, ['a', 'b', 'c'], ['b']).b, { a: 6000, c: 6000 });
});

test('listen-only: hears everyone, is heard by no one', () => {
  const m = new Mixer(RATE);
  for (const id of ['a', 'b', 'c', 'd']) m.add(id);
  m.set('d', { listenOnly: true });
  const h = run(m, ['a', 'b', 'c', 'd'], ['a', 'd']);
  assertHears(h.a, { b: 6000, c: 6000 });
  assertHears(h.d, { a: 6000, b: 6000, c: 6000 });
});

test('a participant that pushes nothing this tick is silent; remove() drops them', () => {
  const m = new Mixer(RATE);
  for (const id of ['a', 'b', 'c']) m.add(id);
  run(m, ['a', 'b', 'c'], ['a'], 3);
  assertHears(run(m, ['b'], ['a']).a, { b: 6000 });
  m.remove('c');
  assert.equal(m.size, 2);
  assertHears(run(m, ['a', 'b'], ['b']).b, { a: 6000 });
  assert.throws(() => m.pushFrame('c', new Int16Array(N)), /no participant/);
  assert.throws(() => m.add('a'), /already/);
});

test('saturation: 10 loud participants stay within int16 without wrap (sign follows the sum)', () => {
  const m = new Mixer(RATE);
  const ids = Array.from({ length: 10 }, (_, i) => `p${i}`);
  ids.push('listener');
  for (const id of ids) m.add(id);
  const frame = new Int16Array(N);
  const out = new Int16Array(N);
  let maxAbs = 0;
  for (let t = 0; t < 10; t++) {
    for (let k = 0; k < 10; k++) {
      // Same-phase loud sines: the raw sum reaches ±300,000, 9× beyond int16.
      for (let i = 0; i < N; i++) frame[i] = Math.round(30000 * Math.sin((2 * Math.PI * 400 * (t * N + i)) / RATE));
      m.pushFrame(`p${k}`, frame);
    }
    m.mixFor('listener', out);
    for (let i = 0; i < N; i++) {
      const raw = 10 * frame[i];
      maxAbs = Math.max(maxAbs, Math.abs(out[i]));
      assert.ok(out[i] >= -32768 && out[i] <= 32767);
      // No wrap: the output has the sign of the true sum and is monotone in it.
      if (raw > 1000) assert.ok(out[i] > 0, `wrapped at ${i}: raw ${raw} → ${out[i]}`);
      if (raw < -1000) assert.ok(out[i] < 0, `wrapped at ${i}: raw ${raw} → ${out[i]}`);
    }
    m.mixFor('p0', out); // mix-minus of a saturated mix is still in range
    for (let i = 0; i < N; i++) assert.ok(Math.abs(out[i]) <= 32767);
    m.tick();
  }
  assert.ok(maxAbs > 32000, `peak ${maxAbs}: loud sums should approach full scale`);
});

test('soft clip is the identity up to the knee, continuous and monotone beyond it', () => {
  assert.equal(softClip(SOFT_KNEE), SOFT_KNEE);
  assert.equal(softClip(-1234), -1234);
  let prev = softClip(SOFT_KNEE);
  for (let s = SOFT_KNEE + 1; s < 400_000; s += 97) {
    const y = softClip(s);
    assert.ok(y >= prev && y <= 32767);
    assert.equal(softClip(-s), -y);
    prev = y;
  }
  assert.ok(softClip(SOFT_KNEE + 100) - SOFT_KNEE >= 99); // slope ≈ 1 at the knee
});
