// A newly started prompt's first frame leaves at once, not on the next 20 ms tick
// (RtpEndpoint.sendFirstFrameNow), and the RTP stream around it stays valid: sequence numbers
// +1, timestamps +160 without overlap, the marker on the prompt's first packet, and the one-frame
// lead given back on the first silent tick after the prompt. Real worker thread, real UDP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MediaEngine } from './index.ts';
import { RtpPeer, loudPcmu, until, wait } from './test-rtp-peer.ts';

const PCMU = { name: 'PCMU', clockRate: 8000, payloadType: 0 };

let engine: MediaEngine;
test.before(async () => {
  engine = await MediaEngine.start({ workers: 1, portMin: 42100, portMax: 42199, bindAddress: '127.0.0.1' });
});
test.after(async () => {
  await engine.close();
});

const loud = loudPcmu;

test('play → the prompt\'s first RTP packet arrives within a few ms, whatever the tick phase; the stream stays continuous', async () => {
  const p = await RtpPeer.open();
  const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: p.port } });
  // Confirm the signaled source so the socket is connect()ed (the start-now path needs it).
  for (let i = 0; i < 3; i++) p.sendRtp(h.localPort, 0, new Uint8Array(160).fill(0xff));
  await until(() => p.rtp.length >= 5, 3000, 'silence from the endpoint');
  const latencies: number[] = [];
  const firstIdx: number[] = [];
  // Commands at different phases of the 20 ms tick (offsets are coprime with 20).
  for (const offset of [3, 7, 11, 13, 17, 19, 23, 29]) {
    await wait(offset);
    const from = p.rtp.length;
    const t0 = performance.now();
    const op = await h.play([{ kind: 'tone', tone: { freqs: [1000], onMs: 100, offMs: 0, totalMs: 100 } }]);
    await until(() => p.rtp.slice(from).some((r) => loud(r.payload)), 2000, 'the prompt');
    const i = p.rtp.findIndex((r, k) => k >= from && loud(r.payload));
    latencies.push(p.rtp[i].atMs - t0);
    firstIdx.push(i);
    assert.equal((await op.done).reason, 'finished');
    await wait(60); // silence again: the lead is given back
  }
  await h.close();
  p.close();

  // Which plays took the start-now path: their first packet carries the marker bit (the tick path,
  // inside a running silence stream, does not). A play whose command reaches the worker in the
  // last 2 ms before a tick, or while a tick is overdue (a starved machine), is left to the tick.
  const rtp = p.rtp;
  const now = firstIdx.map((i, k) => ({ i, ms: latencies[k] })).filter((x) => rtp[x.i].marker);
  const all = latencies.map((x) => x.toFixed(1)).join(', ');
  assert.ok(now.length >= 4, `${now.length} of 8 plays started at once (latencies ${all})`);
  const ms = now.map((x) => x.ms).sort((a, b) => a - b);
  assert.ok(ms[Math.floor((ms.length - 1) / 2)] <= 5, `median play → first packet of those ${ms[Math.floor((ms.length - 1) / 2)].toFixed(1)} ms (all: ${all}); on the tick it is ~10 ms`);

  // RTP validity over the whole capture (arrival order = send order on loopback).
  for (let k = 1; k < rtp.length; k++) {
    assert.equal((rtp[k].seq - rtp[k - 1].seq) & 0xffff, 1, `sequence +1 at ${k}`);
    assert.equal((rtp[k].ts - rtp[k - 1].ts) >>> 0, 160, `timestamp +160 at ${k} (no overlap, no jump)`);
  }
  for (const { i } of now) assert.ok(!rtp[i + 1].marker, 'the second packet of a start-now prompt has no marker');
});

test('an endpoint that has not confirmed its peer (unconnected socket) also starts prompts at once, to the signaled address, with RTP continuity', async () => {
  const p = await RtpPeer.open();
  const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: p.port } });
  await until(() => p.rtp.length >= 3, 3000, 'silence');
  const from = p.rtp.length;
  const op = await h.play([{ kind: 'tone', tone: { freqs: [1000], onMs: 60, offMs: 0, totalMs: 60 } }]);
  await op.done;
  await wait(50);
  const rtp = p.rtp.slice(from);
  const i = rtp.findIndex((r) => loud(r.payload));
  assert.ok(i >= 0);
  for (let k = 1; k < rtp.length; k++) assert.equal((rtp[k].ts - rtp[k - 1].ts) >>> 0, 160);
  // Sent by the start-now path: it opens a talkspurt (marker), like on a connected socket.
  assert.equal(rtp[i].marker, true);
  await h.close();
  p.close();
});
