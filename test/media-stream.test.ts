// The streaming hook through the media engine (real worker, real sockets, a node:dgram peer):
//  - out: the peer sends a 1 kHz tone; 'audio' events carry 20 ms chunks at 16 kHz holding
//    1 kHz (and no alias at 7 kHz); mixed adds what we play; a slow consumer sheds old audio;
//  - in: streamIn of a 440 Hz tone at 16 kHz reaches the peer as 440 Hz; a mark fires when the
//    queued audio has been played (not when queued); clearStream drops the rest and fires
//    pending marks as cleared.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MediaEngine } from '../src/media/index.ts';
import { RtpPeer, dominantHz, rms, sine, toneShare, until, wait } from '../src/media/worker/test-rtp-peer.ts';

const PCMU = { name: 'PCMU', clockRate: 8000, payloadType: 0 };

function concat(chunks: Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

describe('streaming hook through the engine', () => {
  let engine: MediaEngine;
  before(async () => {
    engine = await MediaEngine.start({ workers: 1, portMin: 45000, portMax: 45499, bindAddress: '127.0.0.1' });
  });
  after(async () => {
    await engine.close();
  });

  test('out: a 1 kHz tone from the peer arrives as 20 ms chunks at 16 kHz holding 1 kHz, no alias', async () => {
    const peer = await RtpPeer.open();
    const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: peer.port } });
    const chunks: Int16Array[] = [];
    const rates = new Set<number>();
    h.on('audio', (a) => {
      chunks.push(a.pcm);
      rates.add(a.rate);
    });
    await h.startStream({ rate: 16000 });
    await peer.stream(h.localPort, sine(1000, 1.5, 8000));
    await wait(150);
    await h.stopStream();
    assert.deepEqual([...rates], [16000]);
    assert.ok(chunks.length >= 75 && chunks.length <= 90, `${chunks.length} chunks for ~1.6 s`);
    assert.ok(chunks.every((c) => c.length === 320), 'every chunk is 20 ms at 16 kHz');
    assert.ok(chunks.every((c) => c.byteOffset === 0 && c.buffer.byteLength === 640), 'each chunk owns its (transferred) buffer');
    const x = concat(chunks);
    const loud = x.subarray(8000, 8000 + 16000);
    assert.equal(dominantHz(loud, 16000, 100, 7900), 1000);
    assert.ok(toneShare(loud, 16000, 1000) > 0.9);
    assert.ok(toneShare(loud, 16000, 7000) < 0.001, 'no image at 8 kHz − 1 kHz mirrored');
    const n = chunks.length;
    await wait(100);
    assert.equal(chunks.length, n, 'stopStream stops the events');
    await h.close();
    peer.close();
  });

  test('out, mixed: the chunks hold the peer (1 kHz) and what we play (440 Hz)', async () => {
    const peer = await RtpPeer.open();
    const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: peer.port } });
    const chunks: Int16Array[] = [];
    h.on('audio', (a) => chunks.push(a.pcm));
    await h.startStream({ rate: 24000, mixed: true });
    const op = await h.play([{ kind: 'tone', tone: { freqs: [440], onMs: 2000, offMs: 0, totalMs: 2000 } }]);
    await peer.stream(h.localPort, sine(1000, 1.2, 8000));
    await h.cancel(op.id);
    await h.stopStream();
    assert.ok(chunks.every((c) => c.length === 480));
    const x = concat(chunks).subarray(12000, 36000);
    assert.ok(toneShare(x, 24000, 1000) > 0.2, `peer share ${toneShare(x, 24000, 1000)}`);
    assert.ok(toneShare(x, 24000, 440) > 0.2, `bot share ${toneShare(x, 24000, 440)}`);
    await h.close();
    peer.close();
  });

  test('out: a consumer slower than real time loses the oldest audio (counted), not the newest', async () => {
    const peer = await RtpPeer.open();
    const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: peer.port } });
    let count = 0;
    h.on('audio', () => count++);
    await h.startStream({ rate: 16000, maxQueueMs: 300 });
    await wait(200);
    // The main thread is stuck for 1.5 s: nothing is consumed or acknowledged.
    const end = Date.now() + 1500;
    while (Date.now() < end) { /* busy */ }
    await wait(300);
    const st = await h.stats();
    // 1.5 s stuck: at most 10 unacknowledged batches + 300 ms queue are kept; the rest is shed.
    assert.ok(st.streamDropped >= 40, `dropped ${st.streamDropped}`);
    const before = count;
    await wait(400);
    assert.ok(count - before >= 15, 'streaming resumes at real-time pace');
    await h.close();
    peer.close();
  });

  test('in: streamIn of a 440 Hz tone at 16 kHz reaches the peer as 440 Hz; the mark fires once it has been played', async () => {
    const peer = await RtpPeer.open();
    const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: peer.port } });
    const marks: { name: string; cleared: boolean; at: number; perf: number }[] = [];
    h.on('mark', (m) => marks.push({ ...m, at: Date.now(), perf: performance.now() }));
    const from = peer.rtp.length;
    const t0 = Date.now();
    await h.streamIn(sine(440, 1, 16000), 16000);
    await h.markStream('greeting-done');
    await until(() => marks.length > 0, 3000, 'mark');
    const dt = marks[0].at - t0;
    assert.deepEqual({ name: marks[0].name, cleared: marks[0].cleared }, { name: 'greeting-done', cleared: false });
    assert.ok(dt >= 940 && dt < 1250, `mark after ${dt} ms for 1 s of audio`);
    await wait(60);
    const got = peer.decoded(0, from);
    let a = 0;
    while (a < got.length && Math.abs(got[a]) < 64) a++;
    const tone = got.subarray(a, a + 7600);
    assert.equal(dominantHz(tone, 8000), 440);
    assert.ok(rms(tone) > 5000, `level ${rms(tone)}`);
    // Everything before the mark had reached the peer when the mark arrived (the last frame goes
    // out in the tick that fires the mark, allow it): ~50 frames of tone.
    const loudBefore = peer.rtp.slice(from).filter((p) => p.atMs <= marks[0].perf && p.payload.some((b) => b !== 0xff && b !== 0x7f)).length;
    assert.ok(loudBefore >= 49, `${loudBefore} tone packets had arrived when the mark fired`);
    await h.close();
    peer.close();
  });

  test('in: clearStream drops queued audio at once and fires pending marks as cleared', async () => {
    const peer = await RtpPeer.open();
    const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: peer.port } });
    const marks: { name: string; cleared: boolean }[] = [];
    h.on('mark', (m) => marks.push(m));
    await h.streamIn(sine(600, 3, 24000), 24000);
    await h.markStream('never');
    await wait(300);
    await h.clearStream();
    assert.deepEqual(marks, [{ name: 'never', cleared: true }]);
    await wait(60);
    const from = peer.rtp.length;
    await wait(200);
    assert.ok(rms(peer.decoded(0, from)) < 50, 'silence after clear');
    await h.close();
    peer.close();
  });
});
