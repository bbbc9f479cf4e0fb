// RtpSender with the real native pacer (native/rtp-pacer.c) on loopback: disconnect() and close()
// take a packet still queued in the pacer back before freeing the slot, so its sequence number and
// counters roll back (the next packet reuses the number: no gap the peer would count as a loss),
// and the packet never leaves. Skips without the native module, as native-pacer.test.ts does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { loadPacer } from './native-pacer.ts';
import { RtpSender } from './rtp-sender.ts';

const pacer = loadPacer();
const skip = pacer ? false : 'the native pacer is not built (node scripts/build-native.mjs)';
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A peer socket, and an RtpSender on its own socket, connect()ed to the peer and holding a pacer slot. */
async function connectedSender(): Promise<{ tx: RtpSender; sock: dgram.Socket; rx: dgram.Socket; got: Buffer[] }> {
  const rx = dgram.createSocket('udp4');
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  const got: Buffer[] = [];
  rx.on('message', (m) => got.push(m));
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  let closed = false;
  sock.on('close', () => { closed = true; });
  const tx = new RtpSender(sock, 160, true, () => closed);
  tx.connect({ address: '127.0.0.1', port: rx.address().port });
  for (let i = 0; i < 200 && !tx.canPace; i++) await wait(5);
  assert.equal(tx.canPace, true, 'connected with a pacer slot');
  return { tx, sock, rx, got };
}

/** Queue one packet 40 ms ahead; returns the counters as they were before it. */
function queueOne(tx: RtpSender): { seq: number; packetsOut: number; bytesOut: number } {
  const before = { seq: tx.seq, packetsOut: tx.packetsOut, bytesOut: tx.bytesOut };
  const len = tx.write(0, false, tx.ts, 160);
  assert.equal(tx.submitWritten(len, pacer!.now() + 40), true);
  assert.equal(tx.packetsOut, before.packetsOut + 1, 'counted as sent once queued');
  return before;
}

for (const how of ['disconnect', 'close'] as const) {
  test(`${how}() with a packet queued in the pacer: it never leaves, seq and counters roll back, the slot is freed`, { skip }, async () => {
    const { tx, sock, rx, got } = await connectedSender();
    const cancelled = pacer!.stats().cancelled;
    const slots = pacer!.stats().slotsInUse;
    const before = queueOne(tx);
    tx[how]();
    assert.deepEqual({ seq: tx.seq, packetsOut: tx.packetsOut, bytesOut: tx.bytesOut }, before);
    assert.equal(tx.canPace, false);
    assert.equal(pacer!.stats().cancelled - cancelled, 1, 'taken back, not dropped');
    assert.equal(pacer!.stats().slotsInUse, slots - 1, 'the slot is given back');
    await wait(80);
    assert.equal(got.length, 0, 'the queued packet did not leave');
    sock.close();
    rx.close();
  });
}

test('a packet that already left stays counted on disconnect()', { skip }, async () => {
  const { tx, sock, rx, got } = await connectedSender();
  const before = { seq: tx.seq, packetsOut: tx.packetsOut };
  const len = tx.write(0, false, tx.ts, 160);
  assert.equal(tx.submitWritten(len, pacer!.now()), true);
  for (let i = 0; i < 100 && got.length === 0; i++) await wait(2);
  assert.equal(got.length, 1);
  tx.disconnect();
  assert.equal(tx.seq, (before.seq + 1) & 0xffff);
  assert.equal(tx.packetsOut, before.packetsOut + 1);
  sock.close();
  rx.close();
});
