// Mute at the engine (EndpointUpdate.muted) and pausing a recording (setRecordingPaused), through
// real worker threads and real UDP sockets on 127.0.0.1; what the test peers receive and what the
// recorder wrote are checked as audio (Goertzel tone share, RMS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaEngine } from './index.ts';
import { RtpPeer, readWavPcm, rms, sine, toneShare, wait } from './test-rtp-peer.ts';

const PCMU = { name: 'PCMU', clockRate: 8000, payloadType: 0 };

let engine: MediaEngine;
let dir: string;
test.before(async () => {
  engine = await MediaEngine.start({ workers: 1, portMin: 42000, portMax: 42099, bindAddress: '127.0.0.1' });
  dir = mkdtempSync(join(tmpdir(), 'sb-mute-pause-'));
});
test.after(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Decoded PCMU the peer received between two performance.now() instants (arrival time). */
function heardBetween(p: RtpPeer, from: number, to: number): Int16Array {
  const i0 = p.rtp.findIndex((r) => r.atMs >= from);
  if (i0 < 0) return new Int16Array(0);
  const sub = p.rtp.slice(i0).filter((r) => r.atMs < to);
  return p.decoded(0, i0).subarray(0, sub.filter((r) => r.pt === 0).length * 160);
}

test('bridged A↔B: while A is muted B hears silence instead of A (A still hears B); unmuting restores A', async () => {
  const pa = await RtpPeer.open();
  const pb = await RtpPeer.open();
  const a = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: pa.port } });
  const b = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: pb.port }, near: a });
  await a.connect(b);
  // A's caller says 1 kHz, B's caller 600 Hz, for 2.4 s; A is muted from 0.8 s to 1.6 s.
  const t0 = performance.now();
  const streams = Promise.all([pa.stream(a.localPort, sine(1000, 2.4, 8000)), pb.stream(b.localPort, sine(600, 2.4, 8000))]);
  await wait(800);
  const tMute = performance.now();
  await a.update({ muted: true });
  await wait(800);
  const tUnmute = performance.now();
  await a.update({ muted: false });
  await streams;
  const tEnd = performance.now();
  await wait(100);

  // Skip 200 ms after each change: the jitter buffer (40 ms) and frames in flight.
  const before = heardBetween(pb, t0 + 200, tMute);
  const during = heardBetween(pb, tMute + 200, tUnmute);
  const after = heardBetween(pb, tUnmute + 200, tEnd);
  const aDuring = heardBetween(pa, tMute + 200, tUnmute);
  assert.ok(before.length >= 160 * 20 && during.length >= 160 * 20 && after.length >= 160 * 20, `segments ${before.length}/${during.length}/${after.length}`);
  assert.ok(toneShare(before, 8000, 1000) > 0.8, `B hears A's 1 kHz before the mute (share ${toneShare(before, 8000, 1000).toFixed(2)})`);
  assert.ok(rms(during) < 50, `B hears silence while A is muted (rms ${rms(during).toFixed(1)})`);
  assert.ok(toneShare(after, 8000, 1000) > 0.8, `B hears A's 1 kHz again after unmute (share ${toneShare(after, 8000, 1000).toFixed(2)})`);
  assert.ok(toneShare(aDuring, 8000, 600) > 0.8, `A still hears B's 600 Hz while muted (share ${toneShare(aDuring, 8000, 600).toFixed(2)})`);
  await a.close();
  await b.close();
  pa.close();
  pb.close();
});

test('a muted endpoint keeps its own detectors and recording: its caller is recorded while the bridged side gets silence', async () => {
  const pa = await RtpPeer.open();
  const pb = await RtpPeer.open();
  const a = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: pa.port } });
  const b = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: pb.port }, near: a });
  await a.connect(b);
  await a.update({ muted: true });
  const path = join(dir, 'muted-own.wav');
  // Stereo: left = what A's caller says, right = what A sends (B's caller).
  const rec = await a.record(path, { channels: 2 });
  await Promise.all([pa.stream(a.localPort, sine(1000, 1, 8000)), pb.stream(b.localPort, sine(600, 1, 8000))]);
  await wait(100);
  await a.cancel(rec.id);
  await rec.done;
  const left = readWavPcm(path, 0).samples;
  const right = readWavPcm(path, 1).samples;
  assert.ok(toneShare(left.subarray(1600, 6400), 8000, 1000) > 0.8, 'A records its own caller while muted');
  assert.ok(toneShare(right.subarray(1600, 6400), 8000, 600) > 0.8, 'and what it sends (B\'s caller)');
  const heardByB = pb.decoded().subarray(1600, 6400);
  assert.ok(rms(heardByB) < 50, `B got silence (rms ${rms(heardByB).toFixed(1)})`);
  await a.close();
  await b.close();
  pa.close();
  pb.close();
});

test('in a conference a muted member is left out of the mix; the others still reach it', async () => {
  const conf = await engine.createConference();
  const pa = await RtpPeer.open();
  const pb = await RtpPeer.open();
  const a = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: pa.port }, near: conf });
  const b = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: pb.port }, near: conf });
  await a.joinConference(conf);
  await b.joinConference(conf);
  await a.update({ muted: true });
  const t0 = performance.now();
  await Promise.all([pa.stream(a.localPort, sine(1000, 1, 8000)), pb.stream(b.localPort, sine(600, 1, 8000))]);
  const t1 = performance.now();
  const bHeard = heardBetween(pb, t0 + 200, t1);
  const aHeard = heardBetween(pa, t0 + 200, t1);
  assert.ok(rms(bHeard) < 50, `B hears nothing of muted A (rms ${rms(bHeard).toFixed(1)})`);
  assert.ok(toneShare(aHeard, 8000, 600) > 0.8, 'A hears B');
  await a.close();
  await b.close();
  await conf.close();
  pa.close();
  pb.close();
});

test('record 1 s, pause 1 s, record 1 s: the file is ≈ 2 s, holds the tone before the pause and the other tone after it', async () => {
  const p = await RtpPeer.open();
  const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: p.port } });
  const path = join(dir, 'paused.wav');
  // 800 Hz for 1.6 s, then 1200 Hz: the change falls inside the pause.
  const src = new Int16Array(8000 * 3.2);
  src.set(sine(800, 1.6, 8000));
  src.set(sine(1200, 1.6, 8000), 8000 * 1.6);
  const streaming = p.stream(h.localPort, src);
  await wait(100);
  const rec = await h.record(path);
  await wait(1000);
  await h.setRecordingPaused(rec.id, true);
  await wait(1000);
  await h.setRecordingPaused(rec.id, false);
  await wait(1000);
  await h.cancel(rec.id);
  const res = await rec.done;
  await streaming;
  assert.equal(res.reason, 'cancelled');
  assert.ok(res.durationMs !== undefined && res.durationMs >= 1800 && res.durationMs <= 2200, `durationMs ${res.durationMs} excludes the pause`);
  const { samples } = readWavPcm(path);
  const seconds = samples.length / 8000;
  assert.ok(seconds >= 1.8 && seconds <= 2.2, `file holds ${seconds.toFixed(2)} s`);
  // Before the pause: 800 Hz; after it: 1200 Hz (written into the same file, right after).
  const first = samples.subarray(800, 6400);
  const second = samples.subarray(samples.length - 6400, samples.length - 800);
  assert.ok(toneShare(first, 8000, 800) > 0.8 && rms(first) > 3000, `first part: share ${toneShare(first, 8000, 800).toFixed(2)}, rms ${rms(first).toFixed(0)}`);
  assert.ok(toneShare(second, 8000, 1200) > 0.8 && rms(second) > 3000, `second part: share ${toneShare(second, 8000, 1200).toFixed(2)}, rms ${rms(second).toFixed(0)}`);
  // A finished operation: pausing it is a no-op that still resolves.
  await h.setRecordingPaused(rec.id, true);
  await h.close();
  p.close();
});
