// CallLimiter on a fake clock: the token bucket admits a second's worth and refills, and the
// buckets of applications that stopped calling (a deleted application never calls again) are
// dropped once idle and full, while a drained bucket is kept until it has refilled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/index.ts';
import { CallLimiter, IDLE_BUCKET_MS, SWEEP_INTERVAL_MS } from './call-limiter.ts';

const rate = (callsPerSecond: number) => ({ maxConcurrentCalls: null, callsPerSecond });

test('a burst of callsPerSecond passes, the next is refused, time refills it', () => {
  const clock = new FakeClock(1_000);
  const l = new CallLimiter(clock);
  assert.deepEqual(l.admit('a', 0, rate(2)), { ok: true });
  assert.deepEqual(l.admit('a', 0, rate(2)), { ok: true });
  assert.deepEqual(l.admit('a', 0, rate(2)), { ok: false, limit: 'rate' });
  assert.deepEqual(l.admit('a', 5, { maxConcurrentCalls: 5, callsPerSecond: null }), { ok: false, limit: 'concurrent' });
  clock.advance(500);
  assert.deepEqual(l.admit('a', 0, rate(2)), { ok: true });
});

test('buckets of applications that stopped calling are dropped once idle and full', () => {
  const clock = new FakeClock(1_000);
  const l = new CallLimiter(clock);
  for (let i = 0; i < 1000; i++) l.admit(`gone-${i}`, 0, rate(5));
  assert.equal(l.bucketCount, 1000);
  clock.advance(IDLE_BUCKET_MS - 1);
  l.admit('live', 0, rate(5));
  assert.equal(l.bucketCount, 1001, 'not idle long enough yet');
  clock.advance(SWEEP_INTERVAL_MS);
  l.admit('live', 0, rate(5));
  assert.equal(l.bucketCount, 1, 'only the application still calling keeps a bucket');
});

test('a drained bucket that has not refilled is kept (a slow rate still limits)', () => {
  const clock = new FakeClock(1_000);
  const l = new CallLimiter(clock);
  // One call per hour: after the idle spell the bucket holds 1/6 of a token.
  const hourly = rate(1 / 3600);
  assert.deepEqual(l.admit('slow', 0, hourly), { ok: true });
  clock.advance(IDLE_BUCKET_MS);
  l.admit('other', 0, rate(1));
  assert.equal(l.bucketCount, 2);
  assert.deepEqual(l.admit('slow', 0, hourly), { ok: false, limit: 'rate' });
  clock.advance(3_600_000);
  assert.deepEqual(l.admit('slow', 0, hourly), { ok: true });
});

test('an application without a rate has no bucket', () => {
  const l = new CallLimiter(new FakeClock(0));
  l.admit('a', 0, rate(1));
  l.admit('a', 0, { maxConcurrentCalls: null, callsPerSecond: null });
  assert.equal(l.bucketCount, 0);
});
