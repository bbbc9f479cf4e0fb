import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import {
  Rfc4733Receiver, parseTelephoneEvent, planTelephoneEvent, writeTelephoneEvent,
  type Rfc4733DigitEvent, type TelephoneEvent, type TelephoneEventPacket,
} from './rfc4733.ts';
import { RtpHeader, parseRtpHeader, readPcapUdp } from '../rtp/index.ts';

const SIPP_DIR = '/usr/share/sip-tester';
const SIPP_DIGITS: [string, string][] = [
  ...'0123456789'.split('').map((d): [string, string] => [d, `dtmf_2833_${d}.pcap`]),
  ['*', 'dtmf_2833_star.pcap'],
  ['#', 'dtmf_2833_pound.pcap'],
];

test('payload parse/build round-trips the bytes SIPp sends', () => {
  const bytes = Uint8Array.from([0x0b, 0x8a, 0x08, 0xc0]); // '#', E, volume 10, duration 2240
  const ev: TelephoneEvent = { event: 0, end: false, volume: 0, duration: 0 };
  assert.equal(parseTelephoneEvent(bytes, ev), true);
  assert.deepEqual(ev, { event: 11, end: true, volume: 10, duration: 2240 });
  const out = new Uint8Array(4);
  writeTelephoneEvent(ev, out);
  assert.deepEqual(out, bytes);
  assert.equal(parseTelephoneEvent(bytes.subarray(0, 3), ev), false);
});

const pcapsThere = existsSync(`${SIPP_DIR}/dtmf_2833_0.pcap`);
const inCi = process.env.CI === 'true';

test('SIPp captures dtmf_2833_{0-9,star,pound}.pcap each decode to exactly one right digit', { skip: !pcapsThere && !inCi && `sip-tester not installed (${SIPP_DIR} missing)` }, () => {
  assert.ok(pcapsThere, `CI=true but ${SIPP_DIR}/dtmf_2833_*.pcap are missing: install the sip-tester package`);
  const h = new RtpHeader();
  for (const [digit, file] of SIPP_DIGITS) {
    const events: Rfc4733DigitEvent[] = [];
    const starts: string[] = [];
    const rx = new Rfc4733Receiver({ onDigit: (e) => events.push(e), onDigitStart: (d) => starts.push(d) });
    const dgrams = readPcapUdp(readFileSync(`${SIPP_DIR}/${file}`));
    assert.equal(dgrams.length, 10, file);
    for (const d of dgrams) {
      assert.equal(parseRtpHeader(d.payload, h), undefined);
      assert.equal(h.payloadType, 101);
      rx.onPacket(h.timestamp, h.marker, h.payloadView(d.payload), d.time * 1000);
    }
    rx.tick(dgrams[dgrams.length - 1].time * 1000 + 10_000);
    assert.equal(events.length, 1, file);
    assert.equal(events[0].digit, digit, file);
    assert.equal(events[0].reason, 'end');
    assert.equal(events[0].durationMs, 280); // 2240 units at 8 kHz
    assert.deepEqual(starts, [digit]);
  }
});

function feed(rx: Rfc4733Receiver, pkts: TelephoneEventPacket[], t0 = 0): void {
  for (const p of pkts) rx.onPacket(p.timestamp, p.marker, p.payload, t0 + p.atMs);
}

test('sender plan: marker first, updates every 50 ms, three identical end packets (RFC 4733 §2.5.1)', () => {
  const pkts = planTelephoneEvent({ digit: '7', durationMs: 160, startTimestamp: 1000 });
  assert.deepEqual(pkts.map((p) => p.atMs), [0, 50, 100, 150, 160, 160, 160]);
  assert.deepEqual(pkts.map((p) => p.marker), [true, false, false, false, false, false, false]);
  assert.ok(pkts.every((p) => p.timestamp === 1000));
  const ev: TelephoneEvent = { event: 0, end: false, volume: 0, duration: 0 };
  const durs = pkts.map((p) => { parseTelephoneEvent(p.payload, ev); return [ev.event, ev.end, ev.duration]; });
  assert.deepEqual(durs, [[7, false, 0], [7, false, 400], [7, false, 800], [7, false, 1200], [7, true, 1280], [7, true, 1280], [7, true, 1280]]);
});

test('receiver: a digit string from the sender comes out once each, including repeated digits', () => {
  const got: Rfc4733DigitEvent[] = [];
  const rx = new Rfc4733Receiver({ onDigit: (e) => got.push(e) });
  let ts = 0;
  let t = 0;
  for (const d of '1223*#AD0') {
    feed(rx, planTelephoneEvent({ digit: d, durationMs: 100, startTimestamp: ts }), t);
    ts += 1600; t += 200;
  }
  assert.equal(got.map((e) => e.digit).join(''), '1223*#AD0');
  assert.ok(got.every((e) => e.durationMs === 100 && e.reason === 'end'));
});

test('receiver: lost end packets → the digit ends on timeout, once; late end packets are then ignored', () => {
  const got: Rfc4733DigitEvent[] = [];
  const rx = new Rfc4733Receiver({ onDigit: (e) => got.push(e), timeoutMs: 200 });
  const pkts = planTelephoneEvent({ digit: '9', durationMs: 120, startTimestamp: 5000 });
  const [updates, ends] = [pkts.filter((p) => !(p.payload[1] & 0x80)), pkts.filter((p) => p.payload[1] & 0x80)];
  feed(rx, updates);
  rx.tick(150);
  assert.equal(got.length, 0, 'not yet timed out');
  rx.tick(300);
  assert.equal(got.length, 1);
  assert.equal(got[0].reason, 'timeout');
  assert.equal(got[0].durationMs, 100); // last update seen said 800 units
  feed(rx, ends, 400);
  rx.tick(5000);
  assert.equal(got.length, 1, 'late end packets do not make a second digit');
});

test('receiver: a new event without the old one\'s end supersedes it; a lost first packet still starts the event', () => {
  const got: Rfc4733DigitEvent[] = [];
  const rx = new Rfc4733Receiver({ onDigit: (e) => got.push(e) });
  const a = planTelephoneEvent({ digit: '4', durationMs: 100, startTimestamp: 0 }).filter((p) => !(p.payload[1] & 0x80));
  const b = planTelephoneEvent({ digit: '5', durationMs: 100, startTimestamp: 1600 }).slice(1); // marker packet lost
  feed(rx, a);
  feed(rx, b, 200);
  assert.deepEqual(got.map((e) => [e.digit, e.reason]), [['4', 'superseded'], ['5', 'end']]);
});

test('long events span segments of 0xFFFF units and report one digit with the total duration', () => {
  const got: Rfc4733DigitEvent[] = [];
  const rx = new Rfc4733Receiver({ onDigit: (e) => got.push(e) });
  const pkts = planTelephoneEvent({ digit: '#', durationMs: 20_000, startTimestamp: 0xffff0000 });
  const segs = new Set(pkts.map((p) => p.timestamp));
  assert.deepEqual([...segs], [0xffff0000, (0xffff0000 + 0xffff) >>> 0, (0xffff0000 + 2 * 0xffff) >>> 0]);
  assert.equal(pkts.filter((p) => p.marker).length, 1);
  feed(rx, pkts);
  assert.equal(got.length, 1);
  assert.equal(got[0].digit, '#');
  assert.equal(got[0].durationMs, 20_000);
  assert.equal(got[0].startTs, 0xffff0000);
});

test('a duration that wraps within one segment (non-conforming senders) still adds up', () => {
  const got: Rfc4733DigitEvent[] = [];
  const rx = new Rfc4733Receiver({ onDigit: (e) => got.push(e) });
  const pkt = (duration: number, end = false) => { const b = new Uint8Array(4); writeTelephoneEvent({ event: 1, end, volume: 5, duration: duration & 0xffff }, b); return b; };
  rx.onPacket(42, true, pkt(0), 0);
  for (let d = 400; d <= 80000; d += 400) rx.onPacket(42, false, pkt(d), d / 8);
  rx.onPacket(42, false, pkt(80000, true), 10_000);
  assert.equal(got.length, 1);
  assert.equal(got[0].durationMs, 10_000);
});

test('planTelephoneEvent rejects non-digits', () => {
  assert.throws(() => planTelephoneEvent({ digit: 'x', durationMs: 100, startTimestamp: 0 }), RangeError);
});
