import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';

test('FakeClock fires timers in time order, including ones scheduled while firing', () => {
  const c = new FakeClock();
  const fired: string[] = [];
  c.setTimeout(() => fired.push('b@200'), 200);
  c.setTimeout(() => {
    fired.push('a@100');
    c.setTimeout(() => fired.push('c@150'), 50);
  }, 100);
  const gone = c.setTimeout(() => fired.push('never'), 120);
  gone.cancel();
  c.advance(199);
  assert.deepEqual(fired, ['a@100', 'c@150']);
  assert.equal(c.now(), 199);
  c.advance(1);
  assert.deepEqual(fired, ['a@100', 'c@150', 'b@200']);
  assert.equal(c.pending(), 0);
});
