import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from '../dsp/test-signals.ts';
import { JitterBuffer, type JitterFrameKind } from './jitter-buffer.ts';

const RATE = 8000;
const F = 160;

/** Source sample n is a ramp value, so every played sample says which source sample it is. */
const ramp = (n: number): number => n % 30000;

interface Pkt { seq: number; ts: number; n0: number; len: number; arrival: number; ssrc?: number }

/** Packets of `ptimeMs` carrying source samples from 0, sent every ptime from t=0. */
function stream(count: number, ptimeMs: number, opts: { seq0?: number; ts0?: number; delay?: (i: number) => number } = {}): Pkt[] {
  const len = (RATE * ptimeMs) / 1000;
  return Array.from({ length: count }, (_, i) => ({
    seq: ((opts.seq0 ?? 1000) + i) & 0xffff,
    ts: ((opts.ts0 ?? 5000) + i * len) >>> 0,
    n0: i * len,
    len,
    arrival: i * ptimeMs + (opts.delay?.(i) ?? 0),
  }));
}

interface Played { kind: JitterFrameKind; frame: Int16Array }

/** Deliver packets in arrival order, one get() per 20 ms tick at t = 20k + 1 ms, for `ticks` ticks. */
function simulate(jb: JitterBuffer, pkts: Pkt[], ticks: number): Played[] {
  const q = [...pkts].sort((a, b) => a.arrival - b.arrival);
  const played: Played[] = [];
  let j = 0;
  for (let k = 0; k < ticks; k++) {
    const now = k * 20 + 1;
    while (j < q.length && q[j].arrival <= now) {
      const p = q[j++];
      const payload = new Int16Array(p.len);
      for (let i = 0; i < p.len; i++) payload[i] = ramp(p.n0 + i);
      jb.put(p.seq, p.ts, payload, p.arrival, p.ssrc);
    }
    const frame = new Int16Array(F);
    played.push({ kind: jb.get(frame), frame });
  }
  return played;
}

/** Audio frames must each be a contiguous ramp segment, and segments must move forward in time. */
function assertContiguousForward(played: Played[]): number[] {
  const starts: number[] = [];
  for (const p of played) {
    if (p.kind !== 'audio') continue;
    let first = -1;
    for (let i = 0; i < F; i++) {
      if (first < 0 && p.frame[i] !== 0) first = i;
      if (first >= 0 && i > first && p.frame[i] !== 0) assert.equal(p.frame[i], ramp(p.frame[first] + i - first), 'frame is not one contiguous source segment');
    }
    if (first >= 0) starts.push(p.frame[first] - first);
  }
  // Unwrap the ramp (period 30000) into absolute source positions; each must move forward.
  const abs: number[] = [];
  for (let i = 0; i < starts.length; i++) {
    if (i === 0) { abs.push(starts[0]); continue; }
    const d = (((starts[i] - starts[i - 1]) % 30000) + 30000) % 30000;
    assert.ok(d > 0 && d < 15000, `played out of order at ${i}: ${starts[i - 1]} then ${starts[i]}`);
    abs.push(abs[i - 1] + d);
  }
  return abs;
}

test('steady 20 ms packets: every frame played once, in order; delay settles at the 20 ms minimum', () => {
  const jb = new JitterBuffer({ rate: RATE });
  const played = simulate(jb, stream(300, 20), 300);
  const starts = assertContiguousForward(played);
  const s = jb.stats();
  assert.equal(s.lost, 0);
  assert.equal(s.late, 0);
  assert.equal(s.underruns, 0);
  assert.equal(s.concealed, 0);
  assert.equal(s.dropped, 1); // one frame skipped to go from the initial 40 ms to 20 ms
  assert.equal(s.delayMs, 20);
  assert.equal(starts.length, 299);
});

test('adaptive delay: 0–60 ms random jitter raises the delay, few packets are late, order is kept', () => {
  const r = rng(7);
  const jb = new JitterBuffer({ rate: RATE, maxDelayMs: 200 });
  const played = simulate(jb, stream(1500, 20, { delay: () => r() * 60 }), 1495);
  assertContiguousForward(played);
  const s = jb.stats();
  assert.ok(s.jitterMs > 10 && s.jitterMs < 30, `jitter ${s.jitterMs}`);
  assert.ok(s.targetMs >= 60 && s.targetMs <= 200, `target ${s.targetMs}`);
  assert.ok(s.delayMs >= 40 && s.delayMs <= 200, `delay ${s.delayMs}`);
  assert.ok(s.reordered > 50, `reordered ${s.reordered}`);
  assert.ok(s.late + s.lost < 1500 * 0.03, `late ${s.late} lost ${s.lost}`);
  // Then the network calms down: the delay comes back down to the (lower) target.
  const jb2 = new JitterBuffer({ rate: RATE });
  const r2 = rng(9);
  simulate(jb2, stream(3000, 20, { delay: (i) => (i < 1000 ? r2() * 60 : 0) }), 2995);
  assert.ok(jb2.stats().delayMs <= 40, `delay after calm ${jb2.stats().delayMs}`);
});

test('reordering: the first overtaken packet costs one frame, then the delay has grown and every later one is put back in order', () => {
  const pkts = stream(200, 20);
  // Packet i is held up 23 ms in the network, so i+1 overtakes it by 3 ms; the initial 40 ms
  // delay covers only 21 ms of lateness at this tick phase.
  for (let i = 10; i + 1 < 200; i += 7) pkts[i].arrival = pkts[i + 1].arrival + 3;
  const jb = new JitterBuffer({ rate: RATE });
  const starts = assertContiguousForward(simulate(jb, pkts, 200));
  const s = jb.stats();
  assert.equal(s.late, 1, JSON.stringify(s));
  assert.equal(s.lost, 1);
  assert.equal(s.reordered, 26);
  assert.equal(s.delayMs, 60);
  assert.ok(starts.length >= 196);
});

test('duplicates are dropped and counted', () => {
  const pkts = stream(100, 20);
  const dups = pkts.filter((_, i) => i % 3 === 0).map((p) => ({ ...p, arrival: p.arrival + 2 }));
  const jb = new JitterBuffer({ rate: RATE });
  assertContiguousForward(simulate(jb, [...pkts, ...dups], 105));
  assert.equal(jb.stats().duplicates, dups.length);
  assert.equal(jb.stats().lost, 0);
});

test('a loss burst of 5 frames: 3 faded repeats of the last frame, then silence, then audio again', () => {
  const pkts = stream(100, 20).filter((_, i) => i < 40 || i >= 45);
  const jb = new JitterBuffer({ rate: RATE });
  const played = simulate(jb, pkts, 100);
  const kinds = played.map((p) => p.kind[0]).join('');
  assert.match(kinds, /a{20,}cccssa{20,}/);
  const i = kinds.indexOf('ccc');
  const energy = (x: Int16Array): number => x.reduce((e, v) => e + v * v, 0);
  const e = [energy(played[i - 1].frame), energy(played[i].frame), energy(played[i + 1].frame), energy(played[i + 2].frame)];
  assert.ok(e[0] > e[1] && e[1] > e[2] && e[2] > e[3] && e[3] > 0, `fade energies ${e}`);
  // The first concealed frame starts as the last good frame (no click).
  assert.equal(played[i].frame[0], played[i - 1].frame[0]);
  const s = jb.stats();
  assert.equal(s.lost, 5);
  assert.equal(s.concealed, 3);
});

test('sequence number and timestamp wrap: no loss, no reset, order kept', () => {
  const pkts = stream(400, 20, { seq0: 65400, ts0: 0x1_0000_0000 - 160 * 150 });
  const jb = new JitterBuffer({ rate: RATE });
  const starts = assertContiguousForward(simulate(jb, pkts, 402));
  const s = jb.stats();
  assert.equal(s.resets, 0);
  assert.equal(s.lost, 0);
  assert.equal(s.reordered, 0);
  assert.equal(starts.length, 399);
});

test('late packets (after their slot was played) are dropped and the delay grows', () => {
  const pkts = stream(200, 20, { delay: (i) => (i === 100 ? 70 : 0) });
  const jb = new JitterBuffer({ rate: RATE });
  assertContiguousForward(simulate(jb, pkts, 205));
  const s = jb.stats();
  assert.equal(s.late, 1);
  assert.equal(s.lost, 1);
});

test('SSRC change and a timestamp jump re-anchor the stream (reset) and keep playing', () => {
  const a = stream(100, 20).map((p) => ({ ...p, ssrc: 1 }));
  const b = stream(100, 20, { seq0: 7, ts0: 123456789 }).map((p) => ({ ...p, ssrc: 2, arrival: p.arrival + 2000 }));
  const c = stream(100, 20, { seq0: 107, ts0: 123456789 + 160 * 100 + 8000 * 30 }).map((p) => ({ ...p, ssrc: 2, arrival: p.arrival + 4000 }));
  const jb = new JitterBuffer({ rate: RATE });
  const played = simulate(jb, [...a, ...b, ...c], 305);
  const s = jb.stats();
  assert.equal(s.resets, 2);
  assert.ok(played.slice(101, 200).filter((p) => p.kind === 'audio').length >= 95, 'second stream plays');
  assert.ok(played.slice(201, 300).filter((p) => p.kind === 'audio').length >= 95, 'stream after the jump plays');
  assert.equal(s.late, 0);
});

for (const ptime of [10, 30, 40]) {
  test(`${ptime} ms packets are played as gap-free 20 ms frames`, () => {
    const count = Math.floor(6000 / ptime);
    const jb = new JitterBuffer({ rate: RATE });
    const played = simulate(jb, stream(count, ptime), 300);
    const starts = assertContiguousForward(played);
    // Gap-free: after start-up, consecutive audio frames are consecutive source segments.
    let gaps = 0;
    for (let i = 1; i < starts.length; i++) if (starts[i] - starts[i - 1] !== F) gaps++;
    assert.ok(gaps <= 2, `gaps ${gaps} (start-up adaptation skips at most a couple of frames)`);
    assert.ok(starts.length >= 290, `audio frames ${starts.length}`);
    const s = jb.stats();
    assert.equal(s.lost, 0);
    assert.equal(s.late, 0);
  });
}
