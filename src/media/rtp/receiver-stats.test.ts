import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReceiverStats, ntpFromUnixMs, ntpMiddleFromUnixMs, roundTripMs } from './receiver-stats.ts';

/** Feed packets seq0.. with 20 ms spacing, 160 ts units each, optionally skipping some. */
function feed(s: ReceiverStats, ssrc: number, seqs: number[], ts0 = 0, t0 = 0): boolean[] {
  return seqs.map((seq, i) => s.update(ssrc, seq & 0xffff, (ts0 + i * 160) >>> 0, t0 + i * 20));
}

test('a new source is on probation for MIN_SEQUENTIAL packets, then counts from there', () => {
  const s = new ReceiverStats();
  assert.deepEqual(feed(s, 1, [100, 101, 102, 103]), [false, true, true, true]);
  assert.equal(s.received, 3);
  assert.equal(s.expected, 3);
  assert.equal(s.cumulativeLost, 0);
  assert.equal(s.extendedHighestSeq, 103);
});

test('losses give expected, cumulative lost and fraction lost per interval (A.3)', () => {
  const s = new ReceiverStats();
  const seqs: number[] = [];
  for (let q = 0; q < 102; q++) if (q < 2 || q % 4 !== 0) seqs.push(q); // lose every 4th after probation
  feed(s, 7, seqs);
  const r1 = s.report(0);
  assert.equal(s.expected, 101);
  assert.equal(r1.cumulativeLost, 101 - s.received);
  assert.equal(r1.cumulativeLost, 25);
  assert.equal(r1.fractionLost, Math.floor((25 * 256) / 101));
  feed(s, 7, [102, 103, 104, 105], 102 * 160, 3000);
  const r2 = s.report(0);
  assert.equal(r2.fractionLost, 0, 'nothing lost in the second interval');
  assert.equal(r2.cumulativeLost, 25);
  assert.equal(r2.extendedHighestSeq, 105);
});

test('sequence wrap extends the highest sequence number across 65535 → 0', () => {
  const s = new ReceiverStats();
  feed(s, 1, [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2]);
  assert.equal(s.extendedHighestSeq, 65536 + 2);
  assert.equal(s.cumulativeLost, 0);
  assert.equal(s.expected, 8);
});

test('duplicates and small reordering are counted but do not move the maximum; duplicates make lost negative', () => {
  const s = new ReceiverStats();
  feed(s, 1, [10, 11, 12, 13]);
  assert.equal(s.update(1, 12, 320, 100), true);
  assert.equal(s.update(1, 13, 480, 120), true);
  assert.equal(s.extendedHighestSeq, 13);
  assert.equal(s.cumulativeLost, -2);
  assert.equal(s.report(0).cumulativeLost, -2);
});

test('a jump beyond MAX_DROPOUT is ignored once, and taken as a restart when the next packet follows it', () => {
  const s = new ReceiverStats();
  feed(s, 1, [10, 11, 12]);
  assert.equal(s.update(1, 20000, 0, 100), false, 'stray packet');
  assert.equal(s.update(1, 13, 480, 120), true, 'stream continues');
  assert.equal(s.update(1, 30000, 0, 140), false);
  assert.equal(s.update(1, 30001, 160, 160), true, 'sender restarted its sequence');
  assert.equal(s.extendedHighestSeq, 30001);
  assert.equal(s.cumulativeLost, 0);
});

test('an SSRC change resets the source', () => {
  const s = new ReceiverStats();
  feed(s, 1, [10, 11, 12, 14]);
  assert.equal(s.cumulativeLost, 1);
  assert.deepEqual(feed(s, 2, [500, 501, 502]), [false, true, true]);
  assert.equal(s.ssrc, 2);
  assert.equal(s.cumulativeLost, 0);
  assert.equal(s.extendedHighestSeq, 502);
  assert.equal(s.resets, 2);
});

test('jitter is 0 for a perfectly paced stream, also across RTP timestamp wrap', () => {
  const s = new ReceiverStats();
  const seqs = Array.from({ length: 200 }, (_, i) => i);
  feed(s, 1, seqs, 0xffffffff - 160 * 100, 5000);
  assert.ok(Math.abs(s.jitter) < 1e-6, `jitter ${s.jitter}`);
});

test('jitter converges to the mean absolute transit difference (A.8)', () => {
  // Arrivals alternate on-time/5 ms late on a 20 ms grid → |D| = 5 ms = 40 units at 8 kHz.
  const s = new ReceiverStats({ clockRate: 8000 });
  for (let i = 0; i < 400; i++) s.update(9, i, i * 160, i * 20 + (i % 2 ? 5 : 0));
  assert.ok(Math.abs(s.jitter - 40) < 0.5, `jitter ${s.jitter}`);
  assert.equal(s.report(0).jitter, Math.floor(s.jitter));
});

test('LSR/DLSR and round-trip time (RFC 3550 §6.4.1)', () => {
  const s = new ReceiverStats();
  feed(s, 1, [1, 2, 3]);
  assert.equal(s.report(0).lsr, 0);
  const srSentAt = 1_700_000_000_000; // peer's clock, ms
  const ntp = ntpFromUnixMs(srSentAt);
  s.onSenderReport(ntp.msw, ntp.lsw, 50_000);
  const r = s.report(50_000 + 250); // we hold the SR 250 ms before reporting
  assert.equal(r.lsr, ntpMiddleFromUnixMs(srSentAt));
  assert.equal(r.dlsr, Math.round(0.25 * 65536));
  // The peer receives our RR 60 ms after its SR + our 250 ms hold: RTT = 60 ms.
  const rtt = roundTripMs(ntpMiddleFromUnixMs(srSentAt + 250 + 60), r.lsr, r.dlsr)!;
  assert.ok(Math.abs(rtt - 60) < 0.1, `rtt ${rtt}`);
  assert.equal(roundTripMs(123, 0, 0), undefined);
});
