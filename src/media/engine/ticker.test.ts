import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ticker } from './ticker.ts';
import { RtpLatch } from './rtp-latch.ts';
import { InboundRing } from './inbound-ring.ts';

/** A fake monotonic clock with a timer queue; `late` adds lateness to every wake-up. */
function fakeTime() {
  let now = 0;
  let timer: { at: number; fn: () => void } | undefined;
  return {
    now: () => now,
    schedule: (fn: () => void, ms: number) => {
      timer = { at: now + ms, fn };
      return { cancel: () => { timer = undefined; } };
    },
    run(untilMs: number, late = 0) {
      while (timer && timer.at + late <= untilMs) {
        const t = timer;
        timer = undefined;
        now = Math.max(now, t.at + late);
        t.fn();
      }
      now = untilMs;
    },
    /** The event loop is blocked: time passes, nothing fires. */
    stall(ms: number) {
      now += ms;
    },
  };
}

test('the ticker is drift-free: ticks are due at start + n·20 ms even when every wake-up is 3 ms late', () => {
  const ft = fakeTime();
  const due: number[] = [];
  const t = new Ticker({ now: ft.now, schedule: ft.schedule, onTick: (d) => due.push(d) });
  t.start();
  ft.run(1010, 3);
  assert.equal(due.length, 50);
  assert.deepEqual(due.slice(0, 3), [20, 40, 60]);
  assert.equal(due[49], 1000);
  t.stop();
});

test('after a long stall it skips missed ticks instead of bursting them; short stalls catch up', () => {
  const ft = fakeTime();
  const due: number[] = [];
  const t = new Ticker({ now: ft.now, schedule: ft.schedule, onTick: (d) => due.push(d), maxCatchUp: 5 });
  t.start();
  ft.run(100);
  assert.equal(due.length, 5);
  ft.stall(65); // 3 ticks behind → caught up one per wake-up, none lost
  ft.run(200);
  assert.deepEqual(due.slice(4), [100, 120, 140, 160, 180, 200]);
  assert.equal(t.stats.skipped, 0);
  ft.stall(500); // 25 ticks behind → skipped, not burst
  ft.run(760);
  assert.ok(t.stats.skipped >= 20, `skipped ${t.stats.skipped}`);
  assert.ok(due.length - 10 <= 6, `ran ${due.length - 10} ticks after the stall`);
  t.stop();
});

test('the latch accepts the signaled source, and never re-latches to a stranger', () => {
  const l = new RtpLatch();
  l.reset('10.0.0.1', 4000, 0);
  assert.equal(l.check('10.0.0.1', 4000, 10), 'accept');
  assert.equal(l.state, 'signaled');
  assert.equal(l.check('10.6.6.6', 5000, 20), 'reject');
  assert.equal(l.rejected, 1);
  assert.deepEqual(l.target(), { address: '10.0.0.1', port: 4000 });
});

test('behind NAT it latches to the first sender inside the window only; a new remote reopens the window', () => {
  const l = new RtpLatch({ windowMs: 2000 });
  l.reset('10.0.0.1', 4000, 0);
  assert.equal(l.check('203.0.113.5', 30000, 500), 'accept');
  assert.equal(l.state, 'latched');
  assert.equal(l.check('203.0.113.6', 30000, 600), 'reject');
  assert.equal(l.check('10.0.0.1', 4000, 700), 'reject', 'once latched, even the signaled address is a stranger');
  assert.deepEqual(l.target(), { address: '203.0.113.5', port: 30000 });
  const late = new RtpLatch({ windowMs: 2000 });
  late.reset('10.0.0.1', 4000, 0);
  assert.equal(late.check('203.0.113.5', 30000, 2500), 'reject', 'too late to latch');
  late.reset('10.0.0.2', 4002, 3000);
  assert.equal(late.check('203.0.113.5', 30000, 3100), 'accept');
});

test('the inbound ring reorders within its delay and plays a missing frame as a gap', () => {
  const r = new InboundRing(4, 2, 8);
  const put = (seq: number, v: number) => r.slot(seq)!.fill(v);
  put(65534, 1);
  put(0, 3); // wrapped, arrives before 65535
  put(65535, 2);
  assert.equal(r.next(), undefined); // delay of two frames
  assert.equal(r.next(), undefined);
  assert.equal(r.next()![0], 1);
  assert.equal(r.next()![0], 2);
  assert.equal(r.next()![0], 3);
  assert.equal(r.next(), undefined); // seq 1 never came
  put(2, 5);
  assert.equal(r.next()![0], 5);
  assert.equal(r.slot(0), undefined, 'too late');
});
