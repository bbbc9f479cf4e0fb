// Bridges and conferences across media workers (relay pairs over SharedArrayBuffer frame rings):
// a real 2-worker engine, real UDP on 127.0.0.1, endpoints forced onto different workers; what
// the test peers receive is checked as audio (Goertzel tone share, RMS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MediaEngine } from './index.ts';
import type { WorkerLoad } from './protocol.ts';
import { RtpPeer, rms, sine, toneShare, until, wait } from './test-rtp-peer.ts';

const PCMU = { name: 'PCMU', clockRate: 8000, payloadType: 0 };
const L16 = { name: 'L16', clockRate: 16000, payloadType: 96 };

let engine: MediaEngine;
test.before(async () => {
  engine = await MediaEngine.start({ workers: 2, portMin: 42200, portMax: 42299, bindAddress: '127.0.0.1' });
});
test.after(async () => {
  await engine.close();
});

/** Decoded PCMU the peer received between two performance.now() instants (arrival time). */
function heardBetween(p: RtpPeer, from: number, to: number): Int16Array {
  const i0 = p.rtp.findIndex((r) => r.atMs >= from);
  if (i0 < 0) return new Int16Array(0);
  const sub = p.rtp.slice(i0).filter((r) => r.atMs < to);
  return p.decoded(0, i0).subarray(0, sub.filter((r) => r.pt === 0).length * 160);
}

async function relays(): Promise<number> {
  return (await engine.load()).reduce((n: number, l: WorkerLoad) => n + (l.relays ?? 0), 0);
}

const share = (x: Int16Array, hz: number): string => toneShare(x, 8000, hz).toFixed(2);

test('A⇄B bridged across workers: each hears the other, not itself; mute holds across the link; disconnect stops it and leaves no relay', async () => {
  const pa = await RtpPeer.open();
  const pb = await RtpPeer.open();
  const a = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: pa.port } });
  const b = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: pb.port } });
  assert.notEqual(a.workerIndex, b.workerIndex, 'least-loaded placement puts them in different workers');
  await a.connect(b);
  assert.equal(await relays(), 2);
  // A's caller says 1 kHz, B's caller 600 Hz, for 3.2 s; A muted 0.8–1.6 s; disconnected at 2.4 s.
  const t0 = performance.now();
  const streams = Promise.all([pa.stream(a.localPort, sine(1000, 3.2, 8000)), pb.stream(b.localPort, sine(600, 3.2, 8000))]);
  await wait(800);
  const tMute = performance.now();
  await a.update({ muted: true });
  await wait(800);
  const tUnmute = performance.now();
  await a.update({ muted: false });
  await wait(800);
  const tDisc = performance.now();
  await b.disconnect();
  await until(() => engine.linkCount === 0, 1000, 'link forgotten');
  assert.equal(await relays(), 0, 'both relays gone after disconnect');
  await streams;
  const tEnd = performance.now();
  await wait(100);

  const bBefore = heardBetween(pb, t0 + 200, tMute);
  const aBefore = heardBetween(pa, t0 + 200, tMute);
  const bMuted = heardBetween(pb, tMute + 200, tUnmute);
  const aMuted = heardBetween(pa, tMute + 200, tUnmute);
  const bAfter = heardBetween(pb, tUnmute + 200, tDisc);
  const bDisc = heardBetween(pb, tDisc + 200, tEnd);
  const aDisc = heardBetween(pa, tDisc + 200, tEnd);
  for (const [n, x] of Object.entries({ bBefore, aBefore, bMuted, aMuted, bAfter, bDisc, aDisc })) assert.ok(x.length >= 160 * 20, `${n}: ${x.length} samples`);
  assert.ok(toneShare(bBefore, 8000, 1000) > 0.8, `B hears A's 1 kHz (share ${share(bBefore, 1000)})`);
  assert.ok(toneShare(aBefore, 8000, 600) > 0.8, `A hears B's 600 Hz (share ${share(aBefore, 600)})`);
  assert.ok(toneShare(aBefore, 8000, 1000) < 0.05 && toneShare(bBefore, 8000, 600) < 0.05, 'nobody hears itself');
  assert.ok(rms(bMuted) < 50, `B hears silence while A is muted (rms ${rms(bMuted).toFixed(1)})`);
  assert.ok(toneShare(aMuted, 8000, 600) > 0.8, `muted A still hears B (share ${share(aMuted, 600)})`);
  assert.ok(toneShare(bAfter, 8000, 1000) > 0.8, `B hears A again after unmute (share ${share(bAfter, 1000)})`);
  assert.ok(rms(bDisc) < 50 && rms(aDisc) < 50, `silence after disconnect (rms ${rms(bDisc).toFixed(1)} / ${rms(aDisc).toFixed(1)})`);

  const loads = await engine.load();
  const framesIn = loads.reduce((n, l) => n + (l.relayFramesIn ?? 0), 0);
  const maxLat = Math.max(...loads.map((l) => l.relayLatencyMaxMs ?? 0));
  const meanLat = loads.reduce((n, l) => n + (l.relayLatencyMeanMs ?? 0) * (l.relayFramesIn ?? 0), 0) / Math.max(1, framesIn);
  const underruns = loads.reduce((n, l) => n + (l.relayUnderruns ?? 0), 0);
  const shed = loads.reduce((n, l) => n + (l.relayShed ?? 0), 0);
  console.log(`relay latency: mean ${meanLat.toFixed(2)} ms, max ${maxLat.toFixed(2)} ms over ${framesIn} frames; underruns ${underruns}, shed ${shed}`);
  assert.ok(framesIn > 200, `frames relayed ${framesIn}`);
  assert.ok(meanLat < 20, `mean added latency under one tick (${meanLat.toFixed(2)} ms)`);
  await a.close();
  await b.close();
  pa.close();
  pb.close();
});

test('closing one side of a cross-worker bridge tears down both relays; the other endpoint lives on (and a 16 kHz leg is resampled)', async () => {
  const pa = await RtpPeer.open();
  const a = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: pa.port } });
  const b = await engine.createEndpoint({ codec: L16 });
  assert.notEqual(a.workerIndex, b.workerIndex);
  await a.connect(b);
  assert.equal(await relays(), 2);
  await b.close();
  await until(() => engine.linkCount === 0, 1000, 'link forgotten');
  // The far relay notices on its next tick.
  const deadline = Date.now() + 1000;
  while ((await relays()) !== 0 && Date.now() < deadline) await wait(20);
  assert.equal(await relays(), 0, 'no relay left');
  assert.equal(a.closed, false);
  await a.stats();
  await a.close();
  pa.close();
});

test('conference in worker 0 with a member of worker 0 and two of worker 1: mix-minus holds across the link; leave and mute work', async () => {
  const p = await Promise.all([RtpPeer.open(), RtpPeer.open(), RtpPeer.open()]);
  const m0 = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: p[0].port } });
  const conf = await engine.createConference({ near: m0 });
  const m1 = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: p[1].port } });
  const m2 = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: p[2].port }, near: m1 });
  assert.equal(conf.workerIndex, m0.workerIndex);
  assert.notEqual(m1.workerIndex, conf.workerIndex);
  assert.equal(m2.workerIndex, m1.workerIndex);
  await m0.joinConference(conf);
  await m1.joinConference(conf);
  await m2.joinConference(conf);
  assert.equal(await relays(), 4);
  const hz = [600, 1000, 1400];
  const t0 = performance.now();
  const streams = Promise.all(p.map((x, i) => x.stream([m0, m1, m2][i]!.localPort, sine(hz[i]!, 2.4, 8000, 6000))));
  await wait(1000);
  const tMute = performance.now();
  await m1.updateConference({ muted: true });
  await wait(700);
  const tLeave = performance.now();
  await m2.leaveConference();
  await streams;
  const tEnd = performance.now();
  await wait(100);

  for (let i = 0; i < 3; i++) {
    const heard = heardBetween(p[i]!, t0 + 200, tMute);
    assert.ok(heard.length >= 160 * 30, `member ${i}: ${heard.length} samples`);
    for (let j = 0; j < 3; j++) {
      const s = toneShare(heard, 8000, hz[j]!);
      if (i === j) assert.ok(s < 0.02, `member ${i} does not hear itself (share ${s.toFixed(3)})`);
      else assert.ok(s > 0.3, `member ${i} hears member ${j}'s ${hz[j]} Hz (share ${s.toFixed(2)})`);
    }
  }
  const m0Muted = heardBetween(p[0]!, tMute + 200, tLeave);
  assert.ok(toneShare(m0Muted, 8000, 1000) < 0.02, `conference-muted m1 (worker 1) is out of the mix (share ${share(m0Muted, 1000)})`);
  assert.ok(toneShare(m0Muted, 8000, 1400) > 0.6, `m0 still hears m2 (share ${share(m0Muted, 1400)})`);
  const m2Left = heardBetween(p[2]!, tLeave + 200, tEnd);
  assert.ok(rms(m2Left) < 50, `m2 hears nothing after leaving (rms ${rms(m2Left).toFixed(1)})`);
  const m0Left = heardBetween(p[0]!, tLeave + 200, tEnd);
  assert.ok(toneShare(m0Left, 8000, 1400) < 0.02, `m2 is out of the mix after leaving (share ${share(m0Left, 1400)})`);
  assert.equal(await relays(), 2, 'only m1\'s relay pair is left');
  await conf.close();
  const deadline = Date.now() + 1000;
  while ((await relays()) !== 0 && Date.now() < deadline) await wait(20);
  assert.equal(await relays(), 0, 'closing the conference tears down the relays');
  await Promise.all([m0.close(), m1.close(), m2.close()]);
  for (const x of p) x.close();
});
