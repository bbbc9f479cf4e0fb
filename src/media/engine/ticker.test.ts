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

/** Ticker driven by fakeTime that records when each tick ran and which grid slot it was for. */
function recorded(opts: { late?: number } = {}) {
  const ft = fakeTime();
  const runs: { at: number; due: number }[] = [];
  const t = new Ticker({ now: ft.now, schedule: ft.schedule, onTick: (due) => runs.push({ at: ft.now(), due }) });
  const spacings = () => runs.slice(1).map((r, i) => r.at - runs[i].at);
  return { ft, runs, t, spacings, late: opts.late ?? 0 };
}

test('after a stall it never bursts: missed ticks are won back at most 1 ms per tick, none dropped', () => {
  const { ft, runs, t, spacings } = recorded();
  t.start();
  ft.run(100);
  assert.equal(runs.length, 5);
  ft.stall(65); // the tick due at 120 runs at 165, 45 ms late
  ft.run(2000);
  const dues = runs.map((r) => r.due);
  assert.deepEqual(dues.slice(0, 8), [20, 40, 60, 80, 100, 120, 140, 160], 'every grid slot still gets its tick');
  assert.equal(runs[5].at, 165);
  // The old behaviour ran 120/140/160 back to back (intervals ≈ 0): a 20 ms deviation each.
  for (const s of spacings()) assert.ok(s >= 18 && s <= 66, `interval ${s} ms`);
  assert.ok(spacings().filter((s) => s < 20).length <= 47, 'only the catch-up ticks are short');
  const tail = runs.slice(-10);
  for (const r of tail) assert.ok(Math.abs(r.at - r.due) <= 1, `back on the grid: tick ${r.due} ran at ${r.at}`);
  assert.equal(t.stats.slips, 0);
  t.stop();
});

test('after a stall longer than maxBehindMs it re-anchors the grid (a slip) instead of winning it back for seconds', () => {
  const { ft, runs, t, spacings } = recorded();
  t.start();
  ft.run(100);
  ft.stall(500);
  ft.run(1000);
  assert.equal(t.stats.slips, 1);
  assert.ok(t.stats.skipped >= 20, `skipped ${t.stats.skipped}`);
  const after = spacings().slice(5);
  assert.ok(after.length >= 20);
  for (const s of after) assert.ok(s >= 18 && s <= 22, `interval ${s} ms after the slip`);
  // Indices stay consecutive: no tick is lost, the media clock just shifted.
  assert.ok(runs.every((r, i) => i === 0 || r.due > runs[i - 1].due));
  t.stop();
});

test('a timer that always fires 3 ms late does not make the ticker drift off its grid', () => {
  const { ft, runs, t } = recorded();
  t.start();
  ft.run(10_010, 3);
  assert.ok(runs.length >= 499, `ran ${runs.length} ticks`);
  for (const r of runs) assert.ok(r.at - r.due <= 3.01, `tick ${r.due} ran at ${r.at}`);
  assert.equal(t.stats.slips, 0);
  const h = t.histograms();
  assert.equal(h.late.count, runs.length);
  assert.ok(h.spacing.maxMs <= 2, `spacing deviation ${h.spacing.maxMs}`);
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

test('with a precise sleep, a tick woken early sleeps to its target instead of running early', () => {
  const ft = fakeTime();
  const runs: { at: number; due: number }[] = [];
  const slept: number[] = [];
  const t = new Ticker({
    now: ft.now, schedule: ft.schedule, wakeEarlyMs: 2,
    preciseSleep: (ms) => { slept.push(ms); ft.stall(ms); },
    onTick: (due) => runs.push({ at: ft.now(), due }),
  });
  t.start();
  ft.run(1000);
  assert.equal(runs.length, 50);
  for (const r of runs) assert.equal(r.at, r.due, `tick ${r.due} ran at ${r.at}`);
  assert.ok(slept.length >= 49 && slept.every((ms) => ms > 0 && ms <= 2), `slept ${slept.slice(0, 5)}`);
  t.stop();
});
