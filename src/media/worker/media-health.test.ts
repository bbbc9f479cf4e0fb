// summarizeLoads: per-worker counters add up, the pacer's counters (one pacer per process) are taken
// from the first worker that reports them, and absent when none does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TICK_BUCKETS_MS, type PacerStats, type TickHistogramSnapshot } from '../engine/index.ts';
import { summarizeLoads } from './media-health.ts';
import type { WorkerLoad } from './protocol.ts';

const empty = (): TickHistogramSnapshot => ({ counts: new Array<number>(TICK_BUCKETS_MS.length + 1).fill(0), count: 0, sumMs: 0, maxMs: 0 });

function load(over: Partial<WorkerLoad>): WorkerLoad {
  return {
    endpoints: 0, ticks: 0, skippedTicks: 0, maxLateMs: 0, tickMeanUs: 0, tickMaxUs: 0, slips: 0, slippedMs: 0,
    late: empty(), spacing: empty(), work: empty(), inboundPhase: empty(),
    packetsIn: 0, packetsOut: 0, gcCount: 0, gcTotalMs: 0, gcMaxMs: 0, heapUsedBytes: 0,
    ...over,
  };
}

const pacer: PacerStats = { sent: 7, errors: 1, cancelled: 2, wakeups: 9, slotsInUse: 3, lateMaxMs: 0.4, lateHist: [1, 2, 3, 0, 0, 0, 0, 0], priority: 'nice -15' };

test('summarizeLoads adds the workers up and takes the pacer from the first worker reporting it', () => {
  const h = summarizeLoads([load({ endpoints: 2, packetsIn: 10, gcMaxMs: 3 }), load({ endpoints: 5, packetsIn: 1, gcMaxMs: 1, pacer }), load({ pacer: { ...pacer, sent: 99 } })], TICK_BUCKETS_MS);
  assert.equal(h.workers, 3);
  assert.equal(h.endpoints, 7);
  assert.equal(h.packetsIn, 11);
  assert.equal(h.gcMaxMs, 3);
  assert.deepEqual(h.pacer, pacer);
});

test('summarizeLoads has no pacer key when no worker reports one', () => {
  const h = summarizeLoads([load({}), load({})], TICK_BUCKETS_MS);
  assert.equal('pacer' in h, false);
});
