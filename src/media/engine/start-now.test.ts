// RtpEndpoint.sendFirstFrameNow without a ticker (times injected): the prompt's first frame goes
// out at the command, with the next slot's seq/timestamp and the marker; the following frames keep
// the tick; the one-frame lead is given back on the first silent tick; and it is refused where it
// would not keep RTP valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { writeRtp } from '../rtp/index.ts';
import { RtpEndpoint, type EndpointHost } from './rtp-endpoint.ts';

const PCMU = { name: 'PCMU', clockRate: 8000, payloadType: 0 };
const host: EndpointHost = { emit: () => {}, opDone: () => {}, wallNow: () => Date.now() };
const hrMs = () => Number(process.hrtime.bigint()) / 1e6;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Got { seq: number; ts: number; marker: boolean; level: number }
async function peer(): Promise<{ sock: Socket; port: number; got: Got[]; close(): void }> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const got: Got[] = [];
  sock.on('message', (m) => {
    if (m.length < 12 || (m[1] >= 200 && m[1] <= 204)) return;
    got.push({ seq: m.readUInt16BE(2), ts: m.readUInt32BE(4), marker: (m[1] & 0x80) !== 0, level: m[12] });
  });
  return { sock, port: sock.address().port, got, close: () => sock.close() };
}

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A connected endpoint (its peer confirmed) that has sent `ticks` silence frames. */
async function connected(p: { sock: Socket; port: number }, ticks: number, t0: number): Promise<RtpEndpoint> {
  const ep = await RtpEndpoint.open(await freePort(), '127.0.0.1', { codec: PCMU, rtcpMux: true, remote: { address: '127.0.0.1', port: p.port } }, host, hrMs());
  const b = Buffer.alloc(172);
  writeRtp({ marker: false, payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 9 }, new Uint8Array(160).fill(0xff), b);
  await new Promise<void>((r) => p.sock.send(b, ep.localPort, '127.0.0.1', () => r()));
  await wait(30); // latched to the signaled source, socket connected
  for (let k = 0; k < ticks; k++) ep.pushOutbound(t0 + 20 * k);
  return ep;
}

/** A 3-frame prompt; frame k is a constant level (its µ-law byte tells the frames apart). */
function prompt(): { rate: number; read(out: Int16Array): boolean; close(): void } {
  let n = 0;
  return { rate: 8000, read: (out) => { if (n >= 3) return false; out.fill(4000 * ++n); return true; }, close: () => {} };
}

test('the first frame leaves at the command (next slot, marker), the rest on the tick, and the lead is given back after the prompt', async () => {
  const p = await peer();
  const t0 = 1000;
  const ep = await connected(p, 3, t0); // silence at t0, t0+20, t0+40
  await wait(20);
  assert.equal(p.got.length, 3);
  ep.startPlay(1, prompt());
  assert.equal(ep.sendFirstFrameNow(t0 + 40 + 7), true, '7 ms after the last tick: sent now');
  await wait(20);
  assert.equal(p.got.length, 4, 'it left before any further tick');
  for (let k = 3; k < 8; k++) ep.pushOutbound(t0 + 20 * k); // frames 2, 3, then the shed tick, then silence
  await wait(30);
  const g = p.got;
  const seqs = g.map((x) => x.seq);
  for (let k = 1; k < g.length; k++) {
    assert.equal((seqs[k] - seqs[k - 1]) & 0xffff, 1, `seq +1 at ${k}`);
    assert.equal((g[k].ts - g[k - 1].ts) >>> 0, 160, `timestamp +160 at ${k}`);
  }
  assert.equal(JSON.stringify(g.map((x) => x.marker)), JSON.stringify([true, false, false, true, false, false, true, false]), 'markers: the first packet, the prompt, the silence after the skipped tick');
  assert.equal(g.length, 8, '3 silence + 3 prompt + (one tick skipped) + 2 silence');
  assert.notEqual(g[3].level, 0xff, 'packet 4 is the prompt');
  assert.equal(g[6].level, 0xff, 'silence after it');
  await ep.close();
  p.close();
});

test('refused (the tick sends it) when the next tick is < 2 ms away, when a lead is held, or when there is nowhere to send; an unconnected socket sends to the signaled address', async () => {
  const p = await peer();
  const t0 = 1000;
  const ep = await connected(p, 1, t0);
  ep.startPlay(1, prompt());
  assert.equal(ep.sendFirstFrameNow(t0 + 19), false, 'next tick 1 ms away');
  assert.equal(ep.sendFirstFrameNow(t0 + 5), true);
  ep.startPlay(2, prompt());
  assert.equal(ep.sendFirstFrameNow(t0 + 6), false, 'a lead is already held');
  await ep.close();
  p.close();

  const q = await peer();
  const un = await RtpEndpoint.open(await freePort(), '127.0.0.1', { codec: PCMU, rtcpMux: true, remote: { address: '127.0.0.1', port: q.port } }, host, hrMs());
  un.pushOutbound(t0);
  un.startPlay(1, prompt());
  const before = q.got.length;
  assert.equal(un.sendFirstFrameNow(t0 + 5), true, 'peer not confirmed yet: sent to the signaled address, like the tick would');
  for (let i = 0; i < 100 && q.got.length === before; i++) await wait(20);
  assert.ok(q.got.length > before, 'the start-now frame reached the signaled address');
  assert.equal(q.got[q.got.length - 1].marker, true, 'a talkspurt starts');
  await un.close();
  q.close();

  const none = await RtpEndpoint.open(await freePort(), '127.0.0.1', { codec: PCMU, rtcpMux: true }, host, hrMs());
  none.pushOutbound(t0);
  none.startPlay(1, prompt());
  assert.equal(none.sendFirstFrameNow(t0 + 5), false, 'no signaled address, nobody latched: nowhere to send');
  await none.close();
});

test('a ticker running behind the grid: time since the tick counts from when it ran (tickLagMs), not from its due time', async () => {
  const q = await peer();
  const t0 = 1000;
  // A silent caller (no RTP from the peer yet): the tick is due at t0 but ran 25 ms late.
  const ep = await RtpEndpoint.open(await freePort(), '127.0.0.1', { codec: PCMU, rtcpMux: true, remote: { address: '127.0.0.1', port: q.port } }, host, hrMs());
  ep.pushOutbound(t0);
  await wait(30); // its silence frame has arrived
  ep.startPlay(1, prompt());
  // 3 ms after the late tick ran = 28 ms after its due time: measured from the grid this looked
  // like "next tick overdue" and waited for it; the next tick is really ~17 ms away.
  assert.equal(ep.sendFirstFrameNow(t0 + 28), false, 'without the lag: refused (the old tail)');
  const before = q.got.length;
  assert.equal(ep.sendFirstFrameNow(t0 + 28, 2, 25), true, 'with the lag: 3 ms after the tick ran, sent now');
  // The same lag with the next tick (due t0+20, running at ~t0+45) under 2 ms away: refused.
  ep.startPlay(2, prompt());
  assert.equal(ep.sendFirstFrameNow(t0 + 44, 2, 25), false, 'a lead is held (and the tick is 1 ms away)');
  for (let i = 0; i < 100 && q.got.length === before; i++) await wait(20);
  const g = q.got.slice(before);
  assert.equal(g.length, 1, 'exactly the start-now frame');
  assert.equal(g[0].marker, true);
  assert.notEqual(g[0].level, 0xff, 'it is the prompt');
  // Timing stays continuous: the next tick carries the following seq/timestamp.
  ep.pushOutbound(t0 + 20);
  for (let i = 0; i < 100 && q.got.length === before + 1; i++) await wait(20);
  const n = q.got[q.got.length - 1];
  assert.equal((n.seq - g[0].seq) & 0xffff, 1);
  assert.equal((n.ts - g[0].ts) >>> 0, 160);
  await ep.close();
  q.close();

  // The window check itself, with a lag: 19 ms after the tick RAN is < 2 ms before the next.
  const r = await peer();
  const ep2 = await RtpEndpoint.open(await freePort(), '127.0.0.1', { codec: PCMU, rtcpMux: true, remote: { address: '127.0.0.1', port: r.port } }, host, hrMs());
  ep2.pushOutbound(t0);
  ep2.startPlay(1, prompt());
  assert.equal(ep2.sendFirstFrameNow(t0 + 25 + 19, 2, 25), false, 'next tick 1 ms after the late one + 20');
  await ep2.close();
  r.close();
});
