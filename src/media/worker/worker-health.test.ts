// WorkerHealth: GC pauses are observed, and heapUsedBytes() reports the same number as
// process.memoryUsage().heapUsed (which the load report used) without memoryUsage()'s RSS walk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerHealth } from './worker-health.ts';

test('heapUsedBytes() equals process.memoryUsage().heapUsed (within what the calls themselves allocate)', () => {
  const h = new WorkerHealth();
  try {
    h.heapUsedBytes(); // first calls compile/initialise lazily (~250 kB): warm both up
    process.memoryUsage();
    for (let k = 0; k < 5; k++) {
      const a = h.heapUsedBytes();
      const b = process.memoryUsage().heapUsed;
      assert.ok(a > 1_000_000, `heap ${a}`);
      assert.ok(Math.abs(b - a) < 64 * 1024, `heapUsedBytes ${a} vs memoryUsage ${b}`);
    }
    // The cost it saves, for the record (not asserted: 5 engineers share 2 cores).
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) process.memoryUsage();
    const t1 = performance.now();
    for (let i = 0; i < 2000; i++) h.heapUsedBytes();
    const t2 = performance.now();
    console.log(`# memoryUsage() ${((t1 - t0) / 2).toFixed(2)} µs/call, heapUsedBytes() ${((t2 - t1) / 2).toFixed(2)} µs/call`);
  } finally {
    h.close();
  }
});

test('GC pauses are counted', async () => {
  const h = new WorkerHealth();
  try {
    let sink: unknown[] = [];
    for (let i = 0; i < 200_000; i++) { sink.push({ i }); if (sink.length > 1000) sink = []; }
    await new Promise((r) => setTimeout(r, 50)); // gc entries are delivered asynchronously
    assert.ok(h.gc.count > 0 && h.gc.totalMs > 0 && h.gc.maxMs > 0, JSON.stringify(h.gc));
  } finally {
    h.close();
  }
});
