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
  inFrame: Int16Array;
  inHave = false;
  conference: ConferenceMember['conference'];
  private n = 0;
  constructor(public mediaRate: number, public freq: number, readonly amp = 6000) {
    this.inFrame = new Int16Array(mediaRate / 50);
  }
  /** A codec change (re-INVITE): new media rate, new frame size. */
  setRate(rate: number): void {
    this.mediaRate = rate;
    this.inFrame = new Int16Array(rate / 50);
    this.n = 0;
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

/** Goertzel amplitude of `hz` in what member `k` heard (at its own rate). */
function ampOf(h: Record<string, Int16Array>, members: Record<string, FakeMember>, k: string, hz: number): number {
  return toneAmplitude(h[k]!, members[k]!.mediaRate, hz);
}

test('adaptive mix rate: a 16 kHz-capped room of G.711 members mixes at 8 kHz exactly (no resampler), rises to 16 kHz when wideband members join, falls back when they leave', () => {
  const room = new ConferenceRoom(1, 16000);
  const members: Record<string, FakeMember> = { a: new FakeMember(8000, 1000), d: new FakeMember(8000, 1500) };
  room.join(members.a!, 'a', {});
  room.join(members.d!, 'd', {});
  assert.equal(room.mixRate, 8000);
  let h = run(room, members, 10);
  // Same path as an 8 kHz room: d hears a's frames sample for sample.
  const ref = new FakeMember(8000, 1000);
  for (let t = 0; t < 6; t++) ref.talk();
  assert.deepEqual(h.d!.subarray(0, 160), ref.inFrame);

  // Two wideband members: 6 kHz and 5 kHz tones, which no 8 kHz mix could carry.
  members.b = new FakeMember(16000, 6000);
  members.c = new FakeMember(16000, 5000);
  room.join(members.b, 'b', {});
  assert.equal(room.mixRate, 16000);
  room.join(members.c, 'c', {});
  h = run(room, members, 50);
  const near = (k: string, hz: number, want = 6000): void => {
    const a = ampOf(h, members, k, hz);
    assert.ok(Math.abs(a - want) < want * 0.05, `${k} hears ${hz} Hz at ${a.toFixed(1)}, want ≈${want}`);
  };
  const none = (k: string, hz: number): void => {
    const a = ampOf(h, members, k, hz);
    assert.ok(a < 60, `${k} should not hear ${hz} Hz, got ${a.toFixed(1)}`);
  };
  near('c', 6000); near('b', 5000); // wideband heard wideband
  for (const k of ['b', 'c']) { near(k, 1000); near(k, 1500); } // and the G.711 members too
  near('a', 1500); near('d', 1000); // narrowband members hear each other through the 16 kHz mix
  for (const k of ['a', 'd']) for (const hz of [2000, 3000]) none(k, hz); // no alias of 6/5 kHz in their band
  none('a', 1000); none('d', 1500); none('b', 6000); none('c', 5000); // nobody hears themselves

  room.leave(members.b);
  assert.equal(room.mixRate, 16000, 'c is still wideband');
  room.leave(members.c);
  assert.equal(room.mixRate, 8000, 'only G.711 members left: back to the 8 kHz path');
  delete members.b;
  delete members.c;
  h = run(room, members, 10);
  assert.ok(ampOf(h, members, 'a', 1500) > 5700, 'a still hears d');
  assert.ok(ampOf(h, members, 'd', 1500) < 60, 'd does not hear itself');
});

test('at 16 kHz, mute, gain, listen-only and whisper (coach) hold; an 8 kHz member hears only its band, without aliases', () => {
  const room = new ConferenceRoom(1, 16000);
  const members: Record<string, FakeMember> = {
    a: new FakeMember(16000, 6000), // agent, heard at −6 dB
    b: new FakeMember(8000, 1000), // customer on G.711
    c: new FakeMember(16000, 5000), // coach, whispers to a
    d: new FakeMember(16000, 6500), // supervisor, listen-only
    e: new FakeMember(16000, 4500), // muted
  };
  room.join(members.a!, 'a', { gain: -6 });
  room.join(members.b!, 'b', {});
  room.join(members.c!, 'c', { whisperTo: 'a' as never });
  room.join(members.d!, 'd', { listenOnly: true });
  room.join(members.e!, 'e', { muted: true });
  assert.equal(room.mixRate, 16000);
  const h = run(room, members, 50);
  const half = 6000 * 10 ** (-6 / 20);
  const want: Record<string, Record<number, number>> = {
    a: { 1000: 6000, 5000: 6000 },
    b: {},
    c: { 6000: half, 1000: 6000 },
    d: { 6000: half, 1000: 6000 },
    e: { 6000: half, 1000: 6000 },
  };
  for (const [k, heard] of Object.entries(want)) {
    for (const hz of [6000, 1000, 5000, 6500, 4500]) {
      if (members[k]!.mediaRate === 8000 && hz > 4000) continue;
      const got = ampOf(h, members, k, hz);
      const w = heard[hz] ?? 0;
      if (w === 0) assert.ok(got < 60, `${k} should not hear ${hz} Hz, got ${got.toFixed(1)}`);
      else assert.ok(Math.abs(got - w) < w * 0.05, `${k} hears ${hz} Hz at ${got.toFixed(1)}, want ≈${w.toFixed(0)}`);
    }
  }
  // b (8 kHz): the wideband tones are out of its band and must not fold back into it.
  for (const alias of [2000, 3000, 1500, 3500, 1000]) assert.ok(ampOf(h, members, 'b', alias) < 60, `alias at ${alias} Hz in b: ${ampOf(h, members, 'b', alias).toFixed(1)}`);
});

test('a codec change re-chooses the mix rate at the next tick; a prompt at the 16 kHz conference rate is heard in an 8 kHz mix', () => {
  const room = new ConferenceRoom(1, 16000);
  const members: Record<string, FakeMember> = { a: new FakeMember(8000, 700), b: new FakeMember(8000, 0) };
  room.join(members.a!, 'a', {});
  room.join(members.b!, 'b', {});
  const results: OperationResult[] = [];
  room.play(1, new ToneSource(16000, 1000, 1e9), (r) => results.push(r));
  assert.equal(room.mixRate, 8000);
  let h = run(room, members, 30);
  assert.ok(Math.abs(ampOf(h, members, 'b', 1000) - 8000) < 400, `b hears the 16 kHz prompt in the 8 kHz mix: ${ampOf(h, members, 'b', 1000).toFixed(1)}`);
  assert.ok(ampOf(h, members, 'b', 700) > 5700);

  // b re-INVITEs to L16/16000 and talks 6 kHz: the mix goes wideband at the next tick.
  members.b!.setRate(16000);
  members.b!.freq = 6000;
  h = run(room, members, 6);
  assert.equal(room.mixRate, 16000);
  h = run(room, members, 40);
  assert.ok(ampOf(h, members, 'b', 700) > 5700, 'b still hears a (now resampled up)');
  assert.ok(Math.abs(ampOf(h, members, 'b', 1000) - 8000) < 400, 'and the prompt, now without resampling');
  for (const hz of [2000, 6000 - 4000]) assert.ok(ampOf(h, members, 'a', hz) < 60, `no alias of b's 6 kHz in a at ${hz} Hz`);
  // Back to G.711: the mix falls back to 8 kHz.
  members.b!.setRate(8000);
  members.b!.freq = 0;
  run(room, members, 6);
  assert.equal(room.mixRate, 8000);
  assert.equal(room.cancelPlay(1), true);
  assert.deepEqual(results, [{ reason: 'cancelled' }]);
  room.close();
});
