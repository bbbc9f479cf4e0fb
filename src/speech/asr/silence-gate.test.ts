// The silence gate on synthetic signals: what reaches the engine and how engine times map back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SilenceGate } from './silence-gate.ts';

const idle = (n: number): Int16Array => Int16Array.from({ length: n }, (_, i) => ((i * 7919) % 17) - 8);
const loud = (n: number): Int16Array => Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin(i / 3)));
function pushAll(g: SilenceGate, x: Int16Array, chunk = 160): number {
  let n = 0;
  for (let i = 0; i < x.length; i += chunk) n += g.push(x.subarray(i, i + chunk)).length;
  return n;
}

test('leading idle signal beyond 250 ms is dropped; engine times after it map back to stream times', () => {
  const g = new SilenceGate({ rate: 8000 });
  assert.equal(pushAll(g, idle(16000)), 0, 'silence is held, not passed');
  assert.equal(g.droppedMs, 1760);
  assert.equal(pushAll(g, loud(8000)), 1920 + 8000, 'the kept 240 ms come out before the speech');
  assert.equal(g.toStreamMs(0), 1760);
  assert.equal(g.toStreamMs(240), 2000, 'speech onset: engine 240 ms = stream 2000 ms');
});

test('after speech, silence passes for passMs, then only keepMs of it reaches the engine', () => {
  const g = new SilenceGate({ rate: 8000, passMs: 1000 });
  assert.equal(pushAll(g, loud(8000)), 8000);
  assert.equal(pushAll(g, idle(24000)), 8000, '1 s passes, the rest is held');
  assert.equal(pushAll(g, loud(800)), 1920 + 800);
  assert.equal(g.droppedMs, 1760);
  assert.equal(g.toStreamMs(1999), 1999, 'before the cut: unchanged');
  assert.equal(g.toStreamMs(2000), 3760);
  assert.equal(g.toStreamMs(2240), 4000, 'second onset at stream 4 s');
});

test('passMs Infinity: only leading silence is dropped; noise above the threshold is never dropped', () => {
  const g = new SilenceGate({ rate: 8000, passMs: Number.POSITIVE_INFINITY });
  pushAll(g, loud(800));
  assert.equal(pushAll(g, idle(40000)), 40000);
  const g2 = new SilenceGate({ rate: 8000 });
  const noise = Int16Array.from({ length: 16000 }, (_, i) => (i % 2 ? 200 : -200));
  assert.equal(pushAll(g2, noise), 16000);
  assert.equal(g2.droppedMs, 0);
});
