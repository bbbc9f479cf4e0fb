// ConferenceRoom with members at different media rates (8 kHz G.711-like, 16 kHz L16-like,
// 48 kHz Opus-like) and prompts played into the mix: checked as audio (Goertzel amplitude of
// each member's tone in what every other member hears), never self-heard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AudioSource } from '../audio.ts';
import { toneAmplitude } from '../dsp/test-signals.ts';
import { ConferenceRoom, type ConferenceMember } from './conference-room.ts';
import type { OperationResult } from './endpoint-types.ts';

class FakeMember implements ConferenceMember {
  readonly inFrame: Int16Array;
  inHave = false;
  conference: ConferenceMember['conference'];
  private n = 0;
  constructor(readonly mediaRate: number, readonly freq: number, readonly amp = 6000) {
    this.inFrame = new Int16Array(mediaRate / 50);
  }
  /** Fill this tick's inbound frame with the member's tone (freq 0 = silent). */
  talk(): void {
    for (let i = 0; i < this.inFrame.length; i++, this.n++) this.inFrame[i] = Math.round(this.amp * Math.sin((2 * Math.PI * this.freq * this.n) / this.mediaRate));
    this.inHave = this.freq > 0;
  }
}

/** Run `ticks` ticks; return what each member heard, at its own rate (first 5 ticks dropped: filter delay). */
function run(room: ConferenceRoom, members: Record<string, FakeMember>, ticks = 50): Record<string, Int16Array> {
  const heard: Record<string, Int16Array> = {};
  const out: Record<string, Int16Array> = {};
  for (const [k, m] of Object.entries(members)) {
    heard[k] = new Int16Array((ticks - 5) * m.inFrame.length);
    out[k] = new Int16Array(m.inFrame.length);
  }
  for (let t = 0; t < ticks; t++) {
    for (const m of Object.values(members)) m.talk();
    room.pushInputs();
    for (const [k, m] of Object.entries(members)) {
      if (!m.conference) continue;
      room.mixFor(m.conference.key, out[k]);
      if (t >= 5) heard[k].set(out[k], (t - 5) * out[k].length);
    }
    room.endTick();
  }
  return heard;
}

test('mixed rates: 8 kHz, 16 kHz and 48 kHz members each hear the others at the right frequency, never themselves', () => {
  const room = new ConferenceRoom(1, 16000);
  const members = { a: new FakeMember(8000, 700), b: new FakeMember(16000, 1100), c: new FakeMember(48000, 1700) };
  room.join(members.a, '1', {});
  room.join(members.b, '2', {});
  room.join(members.c, '3', {});
  const h = run(room, members);
  const amp = (k: keyof typeof members, f: number): number => toneAmplitude(h[k], members[k].mediaRate, f);
  for (const [k, f] of [['a', 700], ['b', 1100], ['c', 1700]] as const) {
    for (const l of ['a', 'b', 'c'] as const) {
      const a = amp(l, f);
      if (k === l) assert.ok(a < 60, `${l} hears itself: ${f} Hz at ${a.toFixed(1)}`);
      else assert.ok(Math.abs(a - 6000) < 6000 * 0.05, `${l} hears ${k} (${f} Hz) at ${a.toFixed(1)}, want ≈6000`);
    }
  }
  // Nothing off-frequency: the 8 kHz member's copy of the others holds no 16 kHz-image junk at 2 kHz.
  assert.ok(amp('a', 2000) < 60, `no stray tone in a: ${amp('a', 2000).toFixed(1)}`);
});

test('a member at the conference rate is mixed without resampling (exact), and an unconvertible rate is refused', () => {
  const room = new ConferenceRoom(1, 8000);
  const members = { a: new FakeMember(8000, 700), b: new FakeMember(8000, 1100) };
  room.join(members.a, '1', {});
  room.join(members.b, '2', {});
  const h = run(room, members, 10);
  // Exact copy: b hears a's frame sample for sample (same rate → no filter).
  const a2 = new FakeMember(8000, 700);
  a2.talk();
  for (let t = 1; t < 6; t++) a2.talk();
  assert.deepEqual(h.b.subarray(0, 160), a2.inFrame);
  assert.throws(() => room.join(new FakeMember(44100 - 50 * 7, 500), '9', {}), (e: Error & { code?: string }) => e.code === 'RATE_MISMATCH');
});

class ToneSource implements AudioSource {
  private n = 0;
  closed = false;
  constructor(readonly rate: number, readonly freq: number, readonly frames: number) {}
  read(out: Int16Array): boolean {
    if (this.n >= this.frames * out.length) return false;
    for (let i = 0; i < out.length; i++, this.n++) out[i] = Math.round(8000 * Math.sin((2 * Math.PI * this.freq * this.n) / this.rate));
    return this.n < this.frames * out.length;
  }
  close(): void {
    this.closed = true;
  }
}

test('play into the mix: every member hears the prompt (listen-only and muted ones too) on top of the others; finishes and cancels', () => {
  const room = new ConferenceRoom(1, 16000);
  const members = { a: new FakeMember(8000, 700), b: new FakeMember(16000, 0), c: new FakeMember(8000, 1100) };
  room.join(members.a, '1', {});
  room.join(members.b, '2', { listenOnly: true });
  room.join(members.c, '3', { muted: true });
  const src = new ToneSource(16000, 1000, 40);
  const results: OperationResult[] = [];
  room.play(7, src, (r) => results.push(r));
  assert.equal(room.playing, 1);
  const h = run(room, members, 40);
  for (const k of ['a', 'b', 'c'] as const) {
    const got = toneAmplitude(h[k], members[k].mediaRate, 1000);
    assert.ok(Math.abs(got - 8000) < 400, `${k} hears the prompt at ${got.toFixed(1)}, want ≈8000`);
  }
  assert.ok(toneAmplitude(h.b, 16000, 700) > 5500, 'the listen-only member still hears a');
  assert.ok(toneAmplitude(h.a, 8000, 1100) < 60, 'the muted member is not heard');
  assert.deepEqual(results, [{ reason: 'finished' }]);
  assert.equal(src.closed, true);
  assert.equal(room.playing, 0);

  const loop = new ToneSource(16000, 1000, 1e9);
  room.play(8, loop, (r) => results.push(r));
  run(room, members, 6);
  assert.equal(room.cancelPlay(8), true);
  assert.equal(room.cancelPlay(8), false);
  assert.deepEqual(results.at(-1), { reason: 'cancelled' });
  // After the prompt: nobody hears 1 kHz any more.
  const after = run(room, members, 20);
  assert.ok(toneAmplitude(after.a, 8000, 1000) < 60);

  const open = new ToneSource(16000, 1000, 1e9);
  room.play(9, open, (r) => results.push(r));
  room.close();
  assert.deepEqual(results.at(-1), { reason: 'cancelled' });
  assert.equal(open.closed, true);
  assert.equal(members.a.conference, undefined);
});
