// The native RTP pacer (native/rtp-pacer.c) with real UDP sockets on loopback: a queued packet
// does not leave before its due time and does leave after it; a packet taken back in time never
// leaves; a slot holds one packet at a time; close() frees the slot so the socket can be closed.
// Built by `npm install` (scripts/build-native.mjs); the tests skip without it, but CI does not get
// that far: .ci/run fails when the module cannot be built (SWITCHBOARD_NATIVE_REQUIRED=1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { loadPacer, socketFd } from './native-pacer.ts';

const pacer = loadPacer();
const skip = pacer ? false : 'the native pacer is not built (node scripts/build-native.mjs)';

async function pair(): Promise<{ tx: dgram.Socket; rx: dgram.Socket; got: { at: number; data: Buffer }[] }> {
  const rx = dgram.createSocket('udp4');
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  const got: { at: number; data: Buffer }[] = [];
  rx.on('message', (data) => got.push({ at: Number(process.hrtime.bigint()) / 1e6, data }));
  const tx = dgram.createSocket('udp4');
  await new Promise<void>((r) => tx.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => tx.connect(rx.address().port, '127.0.0.1', r));
  return { tx, rx, got };
}
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('its clock is process.hrtime\'s (CLOCK_MONOTONIC)', { skip }, () => {
  const a = Number(process.hrtime.bigint()) / 1e6;
  const b = pacer!.now();
  const c = Number(process.hrtime.bigint()) / 1e6;
  assert.ok(b >= a && b <= c, `${a} ≤ ${b} ≤ ${c}`);
});

test('a queued packet leaves at its due time, not before; the slot takes one packet at a time', { skip }, async () => {
  const { tx, rx, got } = await pair();
  const slot = pacer!.open(socketFd(tx)!);
  const before = pacer!.stats().sent;
  const bytes = new Uint8Array(200).map((_, i) => i);
  const due = pacer!.now() + 40;
  assert.equal(pacer!.submit(slot, bytes, 172, due), true);
  assert.equal(pacer!.pending(slot), true);
  assert.equal(pacer!.submit(slot, bytes, 172, due), false, 'a second packet while the first is queued is refused');
  await wait(20);
  assert.equal(got.length, 0, 'nothing before the due time');
  for (let i = 0; i < 100 && got.length === 0; i++) await wait(5);
  assert.equal(got.length, 1);
  assert.ok(got[0].at >= due, `received ${(got[0].at - due).toFixed(3)} ms after the due time`);
  assert.deepEqual([...got[0].data], [...bytes.subarray(0, 172)], 'the bytes as submitted');
  assert.equal(pacer!.pending(slot), false);
  assert.equal(pacer!.stats().sent - before, 1);
  // A due time in the past: it leaves at once.
  assert.equal(pacer!.submit(slot, bytes, 12, pacer!.now() - 5), true);
  for (let i = 0; i < 100 && got.length < 2; i++) await wait(2);
  assert.equal(got.length, 2);
  assert.equal(got[1].data.length, 12);
  pacer!.close(slot);
  tx.close();
  rx.close();
});

test('a packet taken back before its due time never leaves; after it has left, cancel says so', { skip }, async () => {
  const { tx, rx, got } = await pair();
  const slot = pacer!.open(socketFd(tx)!);
  const cancelled = pacer!.stats().cancelled;
  assert.equal(pacer!.submit(slot, new Uint8Array(160), 160, pacer!.now() + 30), true);
  assert.equal(pacer!.cancel(slot), true);
  assert.equal(pacer!.pending(slot), false);
  await wait(60);
  assert.equal(got.length, 0, 'the cancelled packet did not leave');
  assert.equal(pacer!.stats().cancelled - cancelled, 1);
  assert.equal(pacer!.submit(slot, new Uint8Array(160), 160, pacer!.now()), true, 'the slot is free again');
  for (let i = 0; i < 100 && got.length === 0; i++) await wait(2);
  assert.equal(got.length, 1);
  assert.equal(pacer!.cancel(slot), false, 'nothing to take back once it left');
  pacer!.close(slot);
  tx.close();
  rx.close();
});

test('many slots due at the same time all leave, none early', { skip }, async () => {
  const rx = dgram.createSocket('udp4');
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  const got: number[] = [];
  rx.on('message', () => got.push(Number(process.hrtime.bigint()) / 1e6));
  const txs: { s: dgram.Socket; slot: number }[] = [];
  for (let i = 0; i < 50; i++) {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    await new Promise<void>((r) => s.connect(rx.address().port, '127.0.0.1', r));
    txs.push({ s, slot: pacer!.open(socketFd(s)!) });
  }
  const due = pacer!.now() + 30;
  for (const t of txs) assert.equal(pacer!.submit(t.slot, new Uint8Array(172), 172, due), true);
  for (let i = 0; i < 200 && got.length < 50; i++) await wait(2);
  assert.equal(got.length, 50);
  assert.ok(Math.min(...got) >= due, 'none before the due time');
  for (const t of txs) {
    pacer!.close(t.slot);
    t.s.close();
  }
  rx.close();
});

test('close() with a packet still queued drops it; the freed slot is reused; a closed slot refuses packets', { skip }, async () => {
  const { tx, rx, got } = await pair();
  const slot = pacer!.open(socketFd(tx)!);
  assert.equal(pacer!.submit(slot, new Uint8Array(160), 160, pacer!.now() + 20), true);
  pacer!.close(slot);
  assert.equal(pacer!.submit(slot, new Uint8Array(160), 160, pacer!.now()), false);
  tx.close(); // safe: the pacer no longer uses the fd
  await wait(50);
  assert.equal(got.length, 0);
  const { tx: tx2, rx: rx2 } = await pair();
  const again = pacer!.open(socketFd(tx2)!);
  assert.equal(again, slot, 'the free list gives the slot back');
  pacer!.close(again);
  tx2.close();
  rx2.close();
  rx.close();
});

test('bad arguments are refused, not crashed on', { skip }, async () => {
  const { tx, rx, got } = await pair();
  const slot = pacer!.open(socketFd(tx)!);
  assert.equal(pacer!.submit(slot, new Uint8Array(10), 10, Number.NaN), false, 'a due time that is not a number');
  assert.equal(pacer!.submit(slot, new Uint8Array(10), 0, pacer!.now()), false, 'an empty packet');
  assert.equal(pacer!.pending(slot), false);
  await wait(20);
  assert.equal(got.length, 0);
  pacer!.close(slot);
  tx.close();
  rx.close();
  assert.throws(() => pacer!.open(-1), /file descriptor/);
  assert.equal(pacer!.submit(999999, new Uint8Array(10), 10, 0), false);
  assert.equal(pacer!.submit(0, new Uint8Array(10), 20, 0), false, 'len beyond the bytes');
  assert.equal(pacer!.submit(0, new Uint8Array(4096), 4096, 0), false, 'larger than a slot holds');
  assert.equal(pacer!.cancel(-3), false);
  assert.equal(pacer!.sendNow(-1, new Uint8Array(10), 10), false);
});

test('start() says how the pacer thread is scheduled: real-time when the process may (root here)', { skip }, () => {
  const sched = pacer!.start();
  assert.equal(pacer!.start(), sched, 'idempotent');
  assert.equal(pacer!.stats().priority, sched);
  if (process.getuid?.() === 0 && process.env.SWITCHBOARD_MEDIA_PACER_RT !== '0') assert.equal(sched, 'SCHED_FIFO 10');
  else assert.match(sched, /^(SCHED_FIFO 10|nice -15|default)/);
});
