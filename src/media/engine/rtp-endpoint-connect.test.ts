// The RTP socket is connect()ed once the latch settles (engine/rtp-endpoint.ts): strangers are
// counted while it is not, and a new remote (re-INVITE) disconnects it so the latch judges again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { writeRtp } from '../rtp/index.ts';
import { RtpEndpoint, type EndpointHost } from './rtp-endpoint.ts';

const PCMU = { name: 'PCMU', clockRate: 8000, payloadType: 0 };
const host: EndpointHost = { emit: () => {}, opDone: () => {}, wallNow: () => Date.now() };
const hrMs = () => Number(process.hrtime.bigint()) / 1e6;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function peer(): Promise<{ sock: Socket; port: number; packets: Buffer[]; close(): void }> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const packets: Buffer[] = [];
  sock.on('message', (m) => { if (m.length >= 12 && !(m[1] >= 200 && m[1] <= 204)) packets.push(m); });
  return { sock, port: sock.address().port, packets, close: () => sock.close() };
}

function rtp(seq: number): Buffer {
  const out = Buffer.alloc(12 + 160);
  writeRtp({ marker: false, payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 77 }, new Uint8Array(160).fill(0xff), out);
  return out;
}

/** A free UDP port: the endpoint must bind an explicit port to be connected (see RtpEndpoint.mayConnect). */
async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function sendN(p: { sock: Socket }, port: number, n: number, seq0: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => p.sock.send(rtp(seq0 + i), port, '127.0.0.1', () => r()));
  await wait(50);
}

test('while the latch has not settled (window over, signaled source silent) strangers are still seen and counted', async () => {
  const silent = await peer();
  const stranger = await peer();
  // Window opened 5 s ago: already closed, so the stranger cannot latch.
  const ep = await RtpEndpoint.open(await freePort(), '127.0.0.1', { codec: PCMU, rtcpMux: true, remote: { address: '127.0.0.1', port: silent.port } }, host, hrMs() - 5000);
  await sendN(stranger, ep.localPort, 4, 1);
  const st = ep.getStats();
  assert.equal(st.latch, 'waiting');
  assert.equal(st.rejectedPackets, 4);
  assert.equal(st.packetsIn, 0);
  await ep.close();
  silent.close();
  stranger.close();
});

test('a new remote (re-INVITE) disconnects the socket: the new source is accepted and sent to, the old one is dropped', async () => {
  const a = await peer();
  const b = await peer();
  const ep = await RtpEndpoint.open(await freePort(), '127.0.0.1', { codec: PCMU, rtcpMux: true, remote: { address: '127.0.0.1', port: a.port } }, host, hrMs());
  await sendN(a, ep.localPort, 3, 1);
  assert.equal(ep.getStats().latch, 'signaled');
  ep.pushOutbound(hrMs());
  await wait(30);
  assert.equal(a.packets.length, 1, 'connected send reaches the signaled peer');

  ep.update({ remote: { address: '127.0.0.1', port: b.port } });
  await sendN(b, ep.localPort, 3, 100);
  let st = ep.getStats();
  assert.equal(st.latch, 'signaled');
  assert.equal(st.packetsIn, 6, 'the new remote is accepted after the disconnect');
  assert.deepEqual(st.sendingTo, { address: '127.0.0.1', port: b.port });
  ep.pushOutbound(hrMs());
  await wait(30);
  assert.equal(b.packets.length, 1, 'now sent to the new remote');
  assert.equal(a.packets.length, 1, 'and no longer to the old one');

  await sendN(a, ep.localPort, 3, 200);
  st = ep.getStats();
  assert.equal(st.packetsIn, 6, 'the old remote is now a stranger, dropped by the reconnected socket');
  await ep.close();
  a.close();
  b.close();
});

test('a prompt prepared one tick ahead (prepareOutbound) sends the same packets, and finishes on the same tick, as without', async () => {
  const run = async (prepare: boolean) => {
    const p = await peer();
    const done: number[] = [];
    const h: EndpointHost = { ...host, opDone: () => { done.push(ticks); } };
    const ep = await RtpEndpoint.open(await freePort(), '127.0.0.1', { codec: PCMU, rtcpMux: true, sendSilence: false, remote: { address: '127.0.0.1', port: p.port } }, h, hrMs());
    await sendN(p, ep.localPort, 2, 1); // confirm the signaled source: the socket connects
    let n = 0;
    // 5 frames, each a constant level (frame k holds 1000·(k+1)), then exhausted.
    ep.startPlay(1, { rate: 8000, read: (out) => { if (n >= 5) return false; out.fill(1000 * ++n); return true; }, close: () => {} });
    let ticks = 0;
    for (; ticks < 8; ticks++) {
      ep.pushOutbound(hrMs());
      if (prepare) ep.prepareOutbound();
    }
    await wait(50);
    await ep.close();
    p.close();
    return { packets: p.packets.map((b) => ({ seqStep: b.readUInt16BE(2), marker: (b[1] & 0x80) !== 0, ts: b.readUInt32BE(4), payload: b[12] })), done };
  };
  const plain = await run(false);
  const ahead = await run(true);
  assert.equal(plain.packets.length, 5);
  assert.equal(ahead.packets.length, 5);
  assert.deepEqual(ahead.done, plain.done, 'finished on the same tick');
  assert.deepEqual(ahead.packets.map((x) => x.payload), plain.packets.map((x) => x.payload), 'same audio, same order');
  assert.deepEqual(ahead.packets.map((x) => x.marker), [true, false, false, false, false]);
  for (let i = 1; i < 5; i++) {
    assert.equal((ahead.packets[i].seqStep - ahead.packets[i - 1].seqStep) & 0xffff, 1);
    assert.equal((ahead.packets[i].ts - ahead.packets[i - 1].ts) >>> 0, 160);
  }
});
