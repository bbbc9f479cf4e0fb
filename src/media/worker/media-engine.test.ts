// MediaEngine with real worker threads and real UDP sockets on 127.0.0.1: what the peer
// receives is checked as RTP and as audio; the close cascade is checked at every level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { MediaClosedError, MediaEngine } from './index.ts';
import { ULAW_DECODE, pcmuEncodeInto } from '../codecs/index.ts';
import { RtpHeader, parseRtpHeader, writeRtp } from '../rtp/index.ts';
import { planTelephoneEvent, parseTelephoneEvent } from '../dtmf/index.ts';
import { goertzelCoefficient, goertzelPower } from '../dsp/index.ts';

const PCMU = { name: 'PCMU', clockRate: 8000, payloadType: 0 };

async function peer(): Promise<{ sock: Socket; port: number; packets: Buffer[]; close(): void }> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const packets: Buffer[] = [];
  sock.on('message', (m) => { if (m.length >= 12 && !(m[1] >= 200 && m[1] <= 204)) packets.push(m); /* RTP only, not RTCP */ });
  return { sock, port: sock.address().port, packets, close: () => sock.close() };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await wait(10);
  }
}

/** Frequency with the most Goertzel power, scanned in 10 Hz steps. */
function dominantHz(x: Float64Array, rate: number): number {
  let best = 0;
  let bestP = -1;
  for (let f = 100; f < rate / 2 - 100; f += 10) {
    const p = goertzelPower(x, 0, x.length, goertzelCoefficient(f, rate));
    if (p > bestP) { bestP = p; best = f; }
  }
  return best;
}

let engine: MediaEngine;
test.before(async () => {
  engine = await MediaEngine.start({ workers: 2, portMin: 40000, portMax: 40999, bindAddress: '127.0.0.1' });
});
test.after(async () => {
  await engine.close();
});

test('a tone played to a peer arrives as paced PCMU RTP at 1 kHz: seq +1, timestamp +160, marker on the first packet', async () => {
  const p = await peer();
  const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: p.port } });
  assert.equal(h.localPort % 2, 0, 'RTP on an even port');
  assert.equal(h.localRtcpPort, h.localPort + 1);
  const op = await h.play([{ kind: 'tone', tone: { freqs: [1000], onMs: 500, offMs: 0, totalMs: 500 } }]);
  const t0 = Date.now();
  assert.deepEqual(await op.done, { reason: 'finished' });
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 440 && elapsed < 1000, `25 frames paced at 20 ms took ${elapsed} ms`);
  await h.close();
  const hdr = new RtpHeader();
  const pcm: number[] = [];
  let prev: RtpHeader | undefined;
  const markers: number[] = [];
  for (const [i, m] of p.packets.entries()) {
    assert.equal(parseRtpHeader(m, hdr), undefined);
    assert.equal(hdr.payloadType, 0);
    assert.equal(hdr.ssrc, h.ssrc);
    assert.equal(hdr.payloadLength, 160);
    // The stream's first packet has the marker; so may the prompt's first packet when it started
    // at once (start-now opens a talkspurt, docs/media.md) — nothing else does.
    if (hdr.marker) markers.push(i);
    if (prev) {
      assert.equal(hdr.sequenceNumber, (prev.sequenceNumber + 1) & 0xffff);
      assert.equal(hdr.timestamp, (prev.timestamp + 160) >>> 0);
    }
    prev = Object.assign(new RtpHeader(), { sequenceNumber: hdr.sequenceNumber, timestamp: hdr.timestamp });
    for (let k = 0; k < 160; k++) pcm.push(ULAW_DECODE[m[12 + k]]);
  }
  // The stream's first packet has the marker; so may the prompt's first packet when it started at
  // once (start-now opens a talkspurt, docs/media.md) — which is then one of the first few.
  assert.equal(markers[0], 0, `marker on packet 0 (markers at ${markers.join(',')})`);
  assert.ok(markers.length <= 2 && (markers[1] === undefined || markers[1] <= 3), `no other markers (at ${markers.join(',')})`);
  assert.ok(p.packets.length >= 25, `got ${p.packets.length} packets`);
  const x = Float64Array.from(pcm.slice(0, 4000));
  assert.ok(Math.abs(dominantHz(x, 8000) - 1000) <= 20);
  // −10 dBFS peak: RMS of the sine ≈ 0.316 × 32767 / √2 ≈ 7326.
  const rms = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
  assert.ok(rms > 6500 && rms < 8000, `rms ${rms}`);
  p.close();
});

function rtp(seq: number, ts: number, ssrc: number, pt: number, payload: Uint8Array, marker = false): Buffer {
  const b = Buffer.alloc(12 + payload.length);
  writeRtp({ marker, payloadType: pt, sequenceNumber: seq, timestamp: ts, ssrc }, payload, b);
  return b;
}

test('RFC 4733 digits from the peer become dtmf events (source rfc4733), exactly once each; a stranger is rejected; SIP INFO digits join the stream', async () => {
  const p = await peer();
  const stranger = await peer();
  const h = await engine.createEndpoint({ codec: PCMU, telephoneEvent: { payloadType: 101 }, remote: { address: '127.0.0.1', port: p.port } });
  const digits: string[] = [];
  h.on('dtmf', (ev) => digits.push(`${ev.digit}/${ev.source}`));
  let seq = 100;
  let ts = 5000;
  const silence = new Uint8Array(160).fill(0xff);
  const send = (s: Socket, b: Buffer) => new Promise<void>((r) => s.send(b, h.localPort, '127.0.0.1', () => r()));
  for (let i = 0; i < 5; i++) { await send(p.sock, rtp(seq++, ts, 0x1234, 0, silence)); ts += 160; }
  for (const d of ['1', '#']) {
    for (const pk of planTelephoneEvent({ digit: d, durationMs: 100, startTimestamp: ts })) {
      await send(p.sock, rtp(seq++, pk.timestamp, 0x1234, 101, pk.payload, pk.marker));
    }
    ts += 1600;
  }
  // A stranger's RTP (RTP bleed) mid-call, including a fake digit: dropped. The RTP socket is
  // connect()ed to the confirmed source, so the kernel drops them before the latch sees them.
  let strangerPackets = 0;
  for (const pk of planTelephoneEvent({ digit: '9', durationMs: 60, startTimestamp: 1 })) {
    await send(stranger.sock, rtp(7, pk.timestamp, 0x9999, 101, pk.payload, pk.marker));
    strangerPackets++;
  }
  // RTP digits pass the jitter buffer (tens of ms); INFO digits do not. Inject once the RTP
  // ones are in, so the expected order is the order of the events, not a race.
  await until(() => digits.length >= 2);
  await h.injectDtmf('5', 'info', 100);
  await until(() => digits.length >= 3);
  await wait(100);
  assert.deepEqual(digits, ['1/rfc4733', '#/rfc4733', '5/info']);
  const st = await h.stats();
  assert.equal(st.latch, 'signaled');
  assert.deepEqual(st.sendingTo, { address: '127.0.0.1', port: p.port });
  // Dropped either by the kernel once the socket is connect()ed (not counted) or, if they beat
  // the connect, by the latch (counted) — the connect can complete in the middle of the
  // stranger's packets, so any count up to all of them: never accepted either way (no digit 9).
  assert.ok(st.rejectedPackets >= 0 && st.rejectedPackets <= strangerPackets, `rejected ${st.rejectedPackets} of ${strangerPackets}`);
  assert.ok(st.packetsIn >= 5 + 2 * 4, `packetsIn ${st.packetsIn}`);
  await h.close();
  p.close();
  stranger.close();
});

test('behind NAT: with nothing from the signaled address it latches to the first sender, then never re-latches', async () => {
  const natted = await peer();
  const stranger = await peer();
  const h = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: 9 /* signaled, never sends */ } });
  const silence = new Uint8Array(160).fill(0xff);
  natted.sock.send(rtp(1, 0, 42, 0, silence), h.localPort, '127.0.0.1');
  await until(() => natted.packets.length > 2);
  const st = await h.stats();
  assert.equal(st.latch, 'latched');
  assert.deepEqual(st.sendingTo, { address: '127.0.0.1', port: natted.port });
  const natIn = st.packetsIn;
  for (let i = 0; i < 5; i++) stranger.sock.send(rtp(100 + i, 0, 43, 0, silence), h.localPort, '127.0.0.1');
  await wait(100);
  const st2 = await h.stats();
  // Once latched the RTP socket is connect()ed to the latched source: the kernel drops the
  // stranger's packets (so they are not counted as rejected), and nothing about the call moves.
  assert.equal(st2.latch, 'latched');
  assert.deepEqual(st2.sendingTo, { address: '127.0.0.1', port: natted.port });
  assert.equal(st2.packetsIn, natIn, 'no stranger packet was accepted');
  assert.equal(st2.rejectedPackets, 0, 'dropped by the kernel, not seen by the latch');
  assert.equal(stranger.packets.length, 0, 'the stranger gets no audio');
  const before = natted.packets.length;
  await wait(100);
  assert.ok(natted.packets.length >= before + 3, 'the latched peer still gets its audio');
  await h.close();
  natted.close();
  stranger.close();
});

test('sendDtmf sends RFC 4733 events with the marker on the first packet and three end packets', async () => {
  const p = await peer();
  const h = await engine.createEndpoint({ codec: PCMU, telephoneEvent: { payloadType: 101 }, remote: { address: '127.0.0.1', port: p.port } });
  const op = await h.sendDtmf('7', { durationMs: 100 });
  assert.deepEqual(await op.done, { reason: 'finished' });
  await wait(60);
  await h.close();
  const hdr = new RtpHeader();
  const ev = { event: 0, end: false, volume: 0, duration: 0 };
  const te = p.packets.filter((m) => parseRtpHeader(m, hdr) === undefined && hdr.payloadType === 101);
  assert.ok(te.length >= 5);
  parseRtpHeader(te[0], hdr);
  assert.equal(hdr.marker, true);
  const ends = te.filter((m) => { parseRtpHeader(m, hdr); parseTelephoneEvent(m, ev, hdr.payloadOffset); return ev.end; });
  assert.equal(ends.length, 3);
  parseTelephoneEvent(ends[0], ev, 12);
  assert.equal(ev.event, 7);
  assert.equal(ev.duration, 800);
  p.close();
});

test('echo sends back what it receives; two endpoints in one worker bridge each other', async () => {
  const a = await peer();
  const b = await peer();
  const e = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: a.port } });
  await e.echo(true);
  const tone = new Int16Array(160);
  const pay = new Uint8Array(160);
  let ts = 0;
  for (let i = 0; i < 10; i++) {
    for (let k = 0; k < 160; k++) tone[k] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (ts + k)) / 8000));
    pcmuEncodeInto(tone, pay);
    a.sock.send(rtp(i, ts, 5, 0, pay), e.localPort, '127.0.0.1');
    ts += 160;
    await wait(20);
  }
  await wait(100);
  const loud = a.packets.filter((m) => { let s = 0; for (let k = 12; k < m.length; k++) s += Math.abs(ULAW_DECODE[m[k]]); return s / 160 > 2000; });
  assert.ok(loud.length >= 6, `echoed ${loud.length} loud frames`);
  await e.close();

  const x = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: a.port } });
  const y = await engine.createEndpoint({ codec: PCMU, remote: { address: '127.0.0.1', port: b.port }, near: x });
  assert.equal(y.workerIndex, x.workerIndex);
  await x.connect(y);
  b.packets.length = 0;
  for (let i = 0; i < 10; i++) { a.sock.send(rtp(i, i * 160, 6, 0, pay), x.localPort, '127.0.0.1'); await wait(20); }
  await wait(100);
  const heard = b.packets.filter((m) => ULAW_DECODE[m[12]] !== 0 || ULAW_DECODE[m[40]] !== 0);
  assert.ok(heard.length >= 6, `b heard ${heard.length} frames of a`);
  await x.close();
  await y.close();
  a.close();
  b.close();
});

test('close cascade: a closed handle rejects every command and emits closed once; engine.close closes all handles and cancels operations', async () => {
  const h = await engine.createEndpoint({ codec: PCMU });
  let closed = 0;
  h.on('closed', () => closed++);
  await h.close();
  await h.close();
  assert.equal(closed, 1);
  for (const call of [() => h.stats(), () => h.update({}), () => h.play([{ kind: 'silence', ms: 20 }]), () => h.echo(true), () => h.detect({}), () => h.sendDtmf('1'), () => h.record('/tmp/x.wav'), () => h.stopAll(), () => h.cancel(1)]) {
    await assert.rejects(call(), MediaClosedError);
  }

  const own = await MediaEngine.start({ workers: 1, portMin: 41000, portMax: 41010, bindAddress: '127.0.0.1' });
  const h1 = await own.createEndpoint({ codec: PCMU });
  const h2 = await own.createEndpoint({ codec: PCMU });
  assert.equal(own.portsInUse, 2);
  const op = await h1.play([{ kind: 'tone', tone: 'ringback' }], { loop: 0 });
  const reasons: string[] = [];
  h1.on('closed', (e) => reasons.push(e.reason));
  h2.on('closed', (e) => reasons.push(e.reason));
  await own.close();
  assert.deepEqual(await op.done, { reason: 'cancelled' });
  assert.deepEqual(reasons, ['engine closed', 'engine closed']);
  assert.ok(h1.closed && h2.closed);
  assert.equal(own.portsInUse, 0);
  await assert.rejects(own.createEndpoint({ codec: PCMU }), MediaClosedError);
  await assert.rejects(h1.stats(), MediaClosedError);
});

test('unsupported codecs and a taken port are clear errors; the port pool skips a taken port', async () => {
  await assert.rejects(engine.createEndpoint({ codec: { name: 'G729', clockRate: 8000, payloadType: 18 } }), /not supported/);
  const own = await MediaEngine.start({ workers: 1, portMin: 41100, portMax: 41110, bindAddress: '127.0.0.1' });
  const squat = createSocket('udp4');
  await new Promise<void>((r) => squat.bind(41100, '127.0.0.1', () => r()));
  const h = await own.createEndpoint({ codec: PCMU });
  assert.equal(h.localPort, 41102);
  squat.close();
  await own.close();
});
