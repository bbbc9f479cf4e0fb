// AudioTapFanout: several taps over one engine stream (streaming and transcription on one leg).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { nullLogger } from '../lib/index.ts';
import { goertzelCoefficient, goertzelPower } from '../media/index.ts';
import { AudioTapFanout, type TapSource } from './audio-tap-fanout.ts';

/** The engine side: records stream commands, lets the test deliver chunks and close. */
class FakeSource extends EventEmitter {
  closed = false;
  log: string[] = [];
  dropped = 0;
  async startStream(o: { rate: number; mixed?: boolean }): Promise<void> { this.log.push(`start:${o.rate}:${o.mixed ? 'mixed' : 'peer'}`); }
  async stopStream(): Promise<void> { this.log.push('stop'); }
  async stats(): Promise<{ streamDropped: number }> { return { streamDropped: this.dropped }; }
  chunk(rate: number, fill: number): void { this.emit('audio', { rate, pcm: new Int16Array(rate / 50).fill(fill) }); }
  close(): void { this.closed = true; this.emit('closed', { reason: 'closed' }); }
}

/** Amplitude of the `f` Hz component of `x` (Goertzel over the whole block). */
function toneAmplitude(x: Int16Array, rate: number, f: number): number {
  return Math.sqrt(goertzelPower(x, 0, x.length, goertzelCoefficient(f, rate))) / (x.length / 2);
}

const fanout = (s: FakeSource) => new AudioTapFanout(s as unknown as TapSource, nullLogger, 'ep-test');

describe('AudioTapFanout', () => {
  test('two taps share one engine stream and both get every chunk; the last close stops it', async () => {
    const s = new FakeSource();
    const f = fanout(s);
    const a = await f.openTap({ rate: 16000 });
    const b = await f.openTap({ rate: 16000 });
    assert.deepEqual(s.log, ['start:16000:peer'], 'one engine stream, started once');
    const got = { a: 0, b: 0 };
    a.on('audio', (x) => { got.a += x.samples.length; });
    b.on('audio', (x) => { got.b += x.samples.length; });
    for (let i = 0; i < 10; i++) s.chunk(16000, 100);
    assert.deepEqual(got, { a: 3200, b: 3200 });
    await a.close();
    assert.deepEqual(s.log, ['start:16000:peer'], 'still one tap: the stream runs');
    s.chunk(16000, 1);
    assert.deepEqual(got, { a: 3200, b: 3520 }, 'a closed tap gets nothing');
    await b.close();
    assert.deepEqual(s.log, ['start:16000:peer', 'stop']);
  });

  test('a 24 kHz tap raises the engine rate; the 16 kHz tap gets resampled 20 ms chunks', async () => {
    const s = new FakeSource();
    const f = fanout(s);
    const lo = await f.openTap({ rate: 16000 });
    const hi = await f.openTap({ rate: 24000 });
    assert.deepEqual(s.log, ['start:16000:peer', 'start:24000:peer']);
    const lens: number[] = [];
    const rates = new Set<number>();
    lo.on('audio', (x) => { lens.push(x.samples.length); rates.add(x.rate); });
    let hiLen = 0;
    hi.on('audio', (x) => { hiLen += x.samples.length; });
    for (let i = 0; i < 50; i++) s.chunk(24000, 8000);
    assert.deepEqual([...rates], [16000]);
    assert.equal(hiLen, 50 * 480);
    const total = lens.reduce((n, x) => n + x, 0);
    assert.ok(Math.abs(total - 50 * 320) <= 32, `≈ 1 s at 16 kHz, got ${total}`);
    await hi.close();
    assert.equal(s.log.at(-1), 'start:16000:peer', 'back to 16 kHz when the 24 kHz tap leaves');
    await lo.close();
  });

  test('a resampled tap hands out chunks the consumer may keep: later chunks do not overwrite them; the tone survives', async () => {
    const s = new FakeSource();
    const f = fanout(s);
    const lo = await f.openTap({ rate: 16000 });
    const hi = await f.openTap({ rate: 24000 });
    const kept: Int16Array[] = [];
    lo.on('audio', (x) => kept.push(x.samples));
    for (let k = 0; k < 50; k++) {
      const pcm = new Int16Array(480);
      for (let i = 0; i < 480; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * (k * 480 + i)) / 24000));
      s.emit('audio', { rate: 24000, pcm });
    }
    assert.equal(new Set(kept.map((c) => c.buffer)).size, kept.length, 'every chunk has its own memory');
    const all = new Int16Array(kept.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of kept) { all.set(c, o); o += c.length; }
    const x = all.subarray(1600); // past the filter's start-up
    assert.ok(Math.abs(toneAmplitude(x, 16000, 1000) - 8000) < 8000 * 0.03, `1 kHz level ${toneAmplitude(x, 16000, 1000)}`);
    assert.ok(toneAmplitude(x, 16000, 3000) < 100, 'no other tone');
    await hi.close();
    await lo.close();
  });

  test('dropped: what the worker shed while the tap was open', async () => {
    const s = new FakeSource();
    const f = fanout(s);
    s.dropped = 7;
    const t = await f.openTap({ rate: 16000 });
    s.dropped = 19;
    await t.close();
    assert.equal(t.dropped, 12);
  });

  test('the endpoint closing closes every tap once', async () => {
    const s = new FakeSource();
    const f = fanout(s);
    const t = await f.openTap({ rate: 16000, mixed: true });
    let closed = 0;
    t.on('closed', () => closed++);
    s.close();
    await t.close();
    assert.equal(closed, 1);
    assert.equal(f.open, 0);
    assert.deepEqual(s.log, ['start:16000:mixed']);
  });

  test('a rate other than 16000/24000 is refused', async () => {
    await assert.rejects(fanout(new FakeSource()).openTap({ rate: 8000 as 16000 }), RangeError);
  });
});
