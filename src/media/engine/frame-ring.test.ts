// FrameRing (SPSC ring of 20 ms frames in a SharedArrayBuffer) and RelayEndpoint (one half of a
// cross-worker link): order, drop-oldest when full, underrun on empty, backlog shedding, the
// compare-and-swap race with a real second thread, and relayed audio (with resampling) checked by
// Goertzel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { tones, toInt16, toneAmplitude } from '../dsp/test-signals.ts';
import { FrameRing } from './frame-ring.ts';
import { RelayEndpoint, type BridgePeer } from './relay-endpoint.ts';

function frameOf(v: number, n = 160): Int16Array {
  return new Int16Array(n).fill(v);
}

test('frames come out in order; an empty ring reads silence and counts an underrun', () => {
  const r = FrameRing.create(8000);
  const out = new Int16Array(160);
  assert.equal(r.read(out), 'empty');
  assert.equal(r.underruns, 1);
  r.write(frameOf(1), true, 1);
  r.write(undefined, false, 2);
  assert.equal(r.read(out), 'audio');
  assert.equal(out[0], 1);
  assert.equal(r.lastStampMs, 1);
  assert.equal(r.read(out), 'silence');
  assert.equal(out[159], 0);
  assert.equal(r.waiting, 0);
});

test('a full ring drops the oldest frame and counts it; a view in another "thread" sees the same state', () => {
  const r = FrameRing.create(8000, 4);
  for (let i = 1; i <= 6; i++) r.write(frameOf(i), true, i);
  assert.equal(r.dropped, 2);
  const view = new FrameRing(r.sab, 4);
  assert.equal(view.rate, 8000);
  const out = new Int16Array(160);
  // 4 waiting > 2: the reader sheds down to 2 and reads the older of them.
  assert.equal(view.read(out), 'audio');
  assert.equal(out[0], 5);
  assert.equal(view.shed, 2);
  assert.equal(view.read(out), 'audio');
  assert.equal(out[0], 6);
  view.close();
  assert.equal(r.closed, true);
});

test('a standing backlog of two frames is shed after 50 reads (delay back under one tick)', () => {
  const r = FrameRing.create(8000);
  const out = new Int16Array(160);
  r.write(frameOf(0), true, 0);
  let v = 1;
  for (let i = 0; i < 60; i++) {
    r.write(frameOf(v++), true, 0);
    r.read(out);
  }
  assert.equal(r.shed, 1);
  assert.ok(r.waiting <= 1, `waiting ${r.waiting}`);
});

test('producer in a real second thread: every frame read is whole (no torn frame), drops and reads add up', async () => {
  const r = FrameRing.create(8000, 4);
  const total = 20000;
  const src = `
    const { workerData, parentPort } = require('node:worker_threads');
    const sab = workerData.sab;
    const h = new Int32Array(sab, 0, 8);
    const cap = 4, max = 960;
    const flags = new Int32Array(sab, 32 + cap * 8, cap);
    const data = new Int16Array(sab, 32 + cap * 8 + cap * 4, cap * max);
    for (let v = 1; v <= ${total}; v++) {
      const w = Atomics.load(h, 0);
      for (;;) { const r = Atomics.load(h, 1); if (w - r < cap) break; if (Atomics.compareExchange(h, 1, r, r + 1) === r) Atomics.add(h, 4, 1); }
      const base = (w % cap) * max;
      for (let i = 0; i < 160; i++) data[base + i] = v & 0x7fff;
      flags[w % cap] = 1;
      Atomics.store(h, 0, w + 1);
    }
    parentPort.postMessage('done');`;
  // The worker mirrors FrameRing.write byte for byte (plain JS: no tsx needed in an eval worker).
  const w = new Worker(src, { eval: true, workerData: { sab: r.sab } });
  const out = new Int16Array(160);
  let reads = 0;
  let last = 0;
  let done = false;
  w.once('message', () => { done = true; });
  while (!done || r.waiting > 0) {
    if (r.read(out) === 'audio') {
      reads++;
      for (let i = 1; i < 160; i++) assert.equal(out[i], out[0], 'torn frame');
      assert.ok(out[0] > last, 'frames out of order');
      last = out[0];
    }
    await new Promise((res) => setImmediate(res));
  }
  await w.terminate();
  assert.equal(reads + r.dropped + r.shed, total);
});

/** A stand-in for an RtpEndpoint on one side of the link. */
function fakePeer(rate: number): BridgePeer & { inFrame: Int16Array; inHave: boolean; muted: boolean } {
  return { mediaRate: rate, inFrame: new Int16Array(rate / 50), inHave: false, muted: false, peer: undefined };
}

test('two relays carry 1 kHz at 16 kHz one way and 600 Hz at 8 kHz the other over an 8 kHz link; mute and detaching hold', () => {
  const ab = FrameRing.create(8000);
  const ba = FrameRing.create(8000);
  const ra = new RelayEndpoint(1, ba, ab);
  const rb = new RelayEndpoint(1, ab, ba);
  const a = fakePeer(16000);
  const b = fakePeer(8000);
  ra.attachPeer(a);
  rb.attachPeer(b);
  const toneA = toInt16(tones(16000 * 2, 16000, [{ f: 1000, a: 8000 }]));
  const toneB = toInt16(tones(8000 * 2, 8000, [{ f: 600, a: 8000 }]));
  const heardByA: number[] = [];
  const heardByB: number[] = [];
  for (let t = 0; t < 100; t++) {
    a.inFrame.set(toneA.subarray(t * 320, t * 320 + 320));
    a.inHave = true;
    b.inFrame.set(toneB.subarray(t * 160, t * 160 + 160));
    b.inHave = true;
    b.muted = t >= 50; // B muted for the second second
    ra.pullInbound();
    rb.pullInbound();
    ra.pushOutbound();
    rb.pushOutbound();
    if (a.peer === ra && ra.inHave) heardByA.push(...ra.inFrame);
    else heardByA.push(...new Int16Array(320));
    heardByB.push(...(rb.inHave ? rb.inFrame : new Int16Array(160)));
  }
  assert.equal(ra.inFrame.length, 320, 'A side at its own 16 kHz');
  assert.equal(rb.inFrame.length, 160);
  const bHears = toneAmplitude(heardByB, 8000, 1000, 8000 * 0.2, 8000 * 0.6);
  const aHears = toneAmplitude(heardByA, 16000, 600, 16000 * 0.2, 16000 * 0.6);
  const aHearsMuted = toneAmplitude(heardByA, 16000, 600, 16000 * 1.2, 16000 * 0.6);
  assert.ok(Math.abs(bHears - 8000) < 800, `B hears A's 1 kHz at ${bHears.toFixed(0)} (8000)`);
  assert.ok(Math.abs(aHears - 8000) < 800, `A hears B's 600 Hz at ${aHears.toFixed(0)} (8000)`);
  assert.ok(aHearsMuted < 100, `A hears nothing of muted B (${aHearsMuted.toFixed(0)})`);
  assert.ok(toneAmplitude(heardByB, 8000, 600, 8000 * 0.2, 8000 * 0.6) < 200, 'B does not hear itself');
  // B is unbridged (disconnect): its relay closes on its next tick, A's on the one after.
  b.peer = undefined;
  rb.pullInbound();
  assert.equal(rb.closed, true);
  ra.pullInbound();
  assert.equal(ra.closed, true);
  assert.equal(a.peer, undefined, 'A is unbridged too');
  assert.ok(ra.stats.latencyMaxMs < 20, `in-thread latency ${ra.stats.latencyMaxMs} ms`);
});

test('relay underruns are counted once, by the ring: stats mirror it at syncRingStats and at close', () => {
  const ab = FrameRing.create(8000);
  const ba = FrameRing.create(8000);
  const ra = new RelayEndpoint(2, ba, ab);
  const a = fakePeer(8000);
  ra.attachPeer(a);
  for (let t = 0; t < 3; t++) assert.equal(ra.pullInbound(), true); // nothing written by the far side
  assert.equal(ra.inHave, false);
  assert.equal(ba.underruns, 3, 'the ring counts each empty read');
  assert.equal(ra.stats.underruns, 0, 'the relay keeps no second count per tick');
  ra.syncRingStats();
  assert.equal(ra.stats.underruns, 3);
  ba.write(frameOf(9), true, 1);
  assert.equal(ra.pullInbound(), true);
  assert.equal(ra.inHave, true);
  assert.equal(ra.pullInbound(), true);
  ra.close();
  assert.equal(ra.stats.underruns, 4, 'close syncs the final count');
  assert.equal(ra.stats.framesIn, 1);
});
