// GcSteer: with a media worker's allocation pattern (a burst of small per-send objects, then
// per-receive buffers), V8's scavenges land mostly inside the burst; steered, they do not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { GcSteer, MAX_SAMPLE_GAP } from './gc-steer.ts';

function run(steer: GcSteer): Promise<{ scavenges: number; inBurst: number }> {
  const starts: number[] = [];
  const obs = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) starts.push(e.startTime);
  });
  obs.observe({ entryTypes: ['gc'] });
  const bursts: number[] = [];
  let sink: unknown;
  for (let t = 0; t < 1500; t++) {
    const t0 = performance.now();
    for (let i = 0; i < 500; i++) { const a = [Buffer.allocUnsafe(172).subarray(0, 170)]; sink = { a, f: () => a }; }
    bursts.push(t0, performance.now());
    for (let i = 0; i < 500; i++) sink = { b: Buffer.alloc(172), r: { address: '127.0.0.1', port: i } };
    steer.afterTick();
  }
  void sink;
  return new Promise((resolve) => setTimeout(() => {
    obs.disconnect();
    let inBurst = 0;
    for (const s of starts) {
      for (let i = 0; i < bursts.length; i += 2) if (s >= bursts[i] && s <= bursts[i + 1]) { inBurst++; break; }
    }
    resolve({ scavenges: starts.length, inBurst });
  }, 50));
}

test('scavenges are moved out of the send burst (and without the steer most of them land in it)', async () => {
  const off = await run(new GcSteer(false));
  const steer = new GcSteer(true);
  assert.ok(steer.active, 'gc can be exposed');
  const on = await run(steer);
  assert.ok(off.scavenges > 20 && off.inBurst / off.scavenges > 0.3, `unsteered: ${off.inBurst} of ${off.scavenges} scavenges in a burst`);
  assert.ok(steer.steered > 20, `steered ${steer.steered}`);
  assert.ok(on.inBurst / Math.max(1, on.scavenges) < 0.05, `steered: ${on.inBurst} of ${on.scavenges} scavenges in a burst`);
  console.log(`# ${steer.samples} new-space readings in 1500 ticks, ${steer.steered} scavenges steered`);
  assert.ok(steer.samples < 1500, `new space read ${steer.samples} times in 1500 ticks: not every tick`);
});

/** Bytes the heap grew by per call of `f` over `k` calls, from a freshly scavenged new space. */
function bytesPerCall(f: () => void, k: number): number {
  const gc = runInNewContext('gc') as (o: { type: 'minor' }) => void; // exposed by GcSteer's constructor
  gc({ type: 'minor' });
  const a = getHeapStatistics().used_heap_size;
  for (let i = 0; i < k; i++) f();
  return (getHeapStatistics().used_heap_size - a) / k;
}

test('a quiet tick allocates a small fraction of one new-space reading (readings are spaced out far from the threshold)', () => {
  const steer = new GcSteer(true);
  assert.ok(steer.active);
  for (let i = 0; i < 200; i++) steer.afterTick(); // settle the growth estimate
  let perRead = 0;
  let perTick = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    perRead = bytesPerCall(() => void getHeapSpaceStatistics(), 200);
    const steered = steer.steered;
    const samples = steer.samples;
    perTick = bytesPerCall(() => steer.afterTick(), 1000);
    if (steer.steered !== steered) continue; // a scavenge inside the window would hide the growth
    assert.ok(steer.samples - samples <= Math.ceil(1000 / MAX_SAMPLE_GAP) + 2, `${steer.samples - samples} readings in 1000 quiet ticks`);
    break;
  }
  console.log(`# getHeapSpaceStatistics() ${perRead.toFixed(0)} B/call; GcSteer.afterTick() ${perTick.toFixed(1)} B/tick`);
  assert.ok(perRead > 500, `a reading allocates (${perRead} B)`);
  assert.ok(perTick < perRead / 10, `afterTick ${perTick} B/tick vs a reading ${perRead} B`);
});
