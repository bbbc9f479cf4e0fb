// Prompts sent through the native RTP pacer (engine/native-pacer.ts): a prompt's next packet is
// handed over one tick ahead and leaves from the pacer's thread. What a peer must see is the same
// stream as without it: sequence numbers +1, timestamps +160, no frame of the prompt lost or sent
// twice when a command (recording, a new prompt, DTMF, close) lands between the hand-over and the
// tick. Real worker thread, real UDP on loopback; `SWITCHBOARD_MEDIA_PACER=0` gives the old path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPacer } from '../engine/index.ts';
import { MediaEngine, type MediaEndpointHandle } from './index.ts';
import { RtpPeer, loudPcmu, dominantHz, until, wait, type ReceivedRtp } from './test-rtp-peer.ts';

const PCMU = { name: 'PCMU', clockRate: 8000, payloadType: 0 };
const skip = loadPacer() ? false : 'the native pacer is not built (node scripts/build-native.mjs)';
const dir = mkdtempSync(join(tmpdir(), 'sb-paced-'));

let engine: MediaEngine;
test.before(async () => {
  engine = await MediaEngine.start({ workers: 1, portMin: 42300, portMax: 42399, bindAddress: '127.0.0.1' });
});
test.after(async () => {
  await engine.close();
});

const loud = loudPcmu;
const tone = (hz: number, ms: number) => ({ kind: 'tone' as const, tone: { freqs: [hz], onMs: ms, offMs: 0, totalMs: ms } });

/** A connected endpoint (the peer sent first, so the latch settled and the socket is connect()ed) and its peer. */
async function connected(telephoneEvent = false): Promise<{ h: MediaEndpointHandle; p: RtpPeer }> {
  const p = await RtpPeer.open();
  const h = await engine.createEndpoint({ codec: PCMU, ...(telephoneEvent ? { telephoneEvent: { payloadType: 101 } } : {}), remote: { address: '127.0.0.1', port: p.port } });
  for (let i = 0; i < 3; i++) p.sendRtp(h.localPort, 0, new Uint8Array(160).fill(0xff));
  await until(() => p.rtp.length >= 5, 3000, 'silence from the endpoint');
  await wait(60); // a few ticks: the socket's connect() has completed
  return { h, p };
}

/** Every packet is the previous one's sequence number + 1; audio packets' timestamps step by exactly one frame. */
function assertContinuous(rtp: ReceivedRtp[], what: string): void {
  for (let i = 1; i < rtp.length; i++) {
    assert.equal(rtp[i].seq, (rtp[i - 1].seq + 1) & 0xffff, `${what}: sequence number after ${rtp[i - 1].seq} (packet ${i})`);
  }
  // While RFC 4733 packets replace the audio the clock runs on: across them the step is a whole
  // number of frames; between two adjacent audio packets it is exactly one.
  let prev: ReceivedRtp | undefined;
  let dtmfBetween = false;
  for (const r of rtp) {
    if (r.pt !== 0) {
      dtmfBetween = true;
      continue;
    }
    if (prev) {
      const step = (r.ts - prev.ts) >>> 0;
      if (dtmfBetween) assert.ok(step > 0 && step % 160 === 0 && step < 160 * 50, `${what}: timestamp step ${step} across DTMF at seq ${r.seq}`);
      else assert.equal(step, 160, `${what}: timestamp step at seq ${r.seq}`);
    }
    prev = r;
    dtmfBetween = false;
  }
}

test('a prompt goes out through the pacer: the right tone, a continuous stream, counted as paced', { skip }, async () => {
  const { h, p } = await connected();
  const before = (await engine.health()).pacer!.sent;
  const from = p.rtp.length;
  const op = await h.play([tone(1000, 600)]);
  assert.equal((await op.done).reason, 'finished');
  await wait(60);
  const got = p.rtp.slice(from);
  const paced = (await engine.health()).pacer!.sent - before;
  assert.ok(paced >= 25, `${paced} of the prompt's 30 packets went through the pacer`);
  assertContinuous(got, 'paced prompt');
  const pcm = p.decoded(0, from);
  assert.ok(Math.abs(dominantHz(pcm, 8000) - 1000) <= 20, `dominant ${dominantHz(pcm, 8000)} Hz`);
  assert.equal(got.filter((r) => loud(r.payload)).length, 30, 'every frame of the 600 ms prompt, once');
  await h.close();
  p.close();
});

test('a recording started mid-prompt takes the endpoint off the pacer without losing or repeating a frame', { skip }, async () => {
  for (const offset of [107, 213, 331]) {
    const { h, p } = await connected();
    const from = p.rtp.length;
    const op = await h.play([tone(1000, 600)]);
    await wait(offset);
    const rec = await h.record(join(dir, `rec-${offset}.wav`));
    assert.equal((await op.done).reason, 'finished');
    await wait(60);
    await h.cancel(rec.id);
    const got = p.rtp.slice(from);
    assertContinuous(got, `record at ${offset} ms`);
    assert.equal(got.filter((r) => loud(r.payload)).length, 30, `record at ${offset} ms: all 30 frames of the prompt, each once`);
    await h.close();
    p.close();
  }
});

test('a new prompt mid-prompt, and DTMF mid-prompt: the stream stays continuous', { skip }, async () => {
  const { h, p } = await connected(true);
  const from = p.rtp.length;
  const a = await h.play([tone(1000, 1000)]);
  await wait(230);
  const b = await h.play([tone(600, 300)]);
  assert.equal((await a.done).reason, 'cancelled');
  assert.equal((await b.done).reason, 'finished');
  const c = await h.play([tone(1000, 600)]);
  await wait(170);
  const d = await h.sendDtmf('5', { durationMs: 100 });
  await d.done;
  await c.done;
  await wait(60);
  const got = p.rtp.slice(from);
  assertContinuous(got, 'prompt, new prompt, DTMF');
  assert.ok(got.some((r) => r.pt === 101), 'the DTMF went out');
  await h.close();
  p.close();
});

test('closing mid-prompt: nothing leaves after the close and the pacer slot is given back', { skip }, async () => {
  const slotsBefore = (await engine.health()).pacer!.slotsInUse;
  const { h, p } = await connected();
  assert.equal((await engine.health()).pacer!.slotsInUse, slotsBefore + 1, 'a connected endpoint holds one slot');
  await h.play([tone(1000, 2000)]);
  await wait(150);
  await h.close();
  const n = p.rtp.length;
  await wait(100);
  assert.equal(p.rtp.filter((r) => r.pt === 0).length, p.rtp.slice(0, n).filter((r) => r.pt === 0).length, 'no audio after close');
  assert.equal((await engine.health()).pacer!.slotsInUse, slotsBefore, 'slot given back');
  p.close();
});

test('SWITCHBOARD_MEDIA_PACER=0: the JavaScript send path, same stream', async () => {
  const saved = process.env.SWITCHBOARD_MEDIA_PACER;
  process.env.SWITCHBOARD_MEDIA_PACER = '0';
  const js = await MediaEngine.start({ workers: 1, portMin: 42400, portMax: 42499, bindAddress: '127.0.0.1' });
  if (saved === undefined) delete process.env.SWITCHBOARD_MEDIA_PACER;
  else process.env.SWITCHBOARD_MEDIA_PACER = saved;
  try {
    assert.equal((await js.health()).pacer, undefined, 'no pacer in this engine');
    const p = await RtpPeer.open();
    const h = await js.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: p.port } });
    for (let i = 0; i < 3; i++) p.sendRtp(h.localPort, 0, new Uint8Array(160).fill(0xff));
    await until(() => p.rtp.length >= 5, 3000, 'silence from the endpoint');
    await wait(60);
    const from = p.rtp.length;
    const op = await h.play([tone(1000, 600)]);
    await wait(213);
    const rec = await h.record(join(dir, 'rec-js.wav'));
    assert.equal((await op.done).reason, 'finished');
    await wait(60);
    await h.cancel(rec.id);
    const got = p.rtp.slice(from);
    assertContinuous(got, 'JavaScript path');
    assert.equal(got.filter((r) => loud(r.payload)).length, 30, 'no frame of the prompt lost when the recording starts (the prepared frame is replayed)');
    await h.close();
    p.close();
  } finally {
    await js.close();
  }
});
