/**
 * One engine-wide view of the media workers' health (ticker pacing, GC, packets), merged from
 * each worker's WorkerLoad: what metrics and benchmarks read to tell whether the engine keeps
 * its 20 ms pace under load.
 */
import { mergeTickHistograms, type TickHistogramSnapshot } from '../engine/index.ts';
import type { PacerStats } from '../engine/index.ts';
import type { WorkerLoad } from './protocol.ts';

/** A tick that starts more than this after its scheduled time counts as late (the send-jitter budget). */
export const LATE_TICK_MS = 2;

export interface MediaHealth {
  workers: number;
  endpoints: number;
  packetsIn: number;
  packetsOut: number;
  ticks: number;
  /** Ticks that started more than LATE_TICK_MS after they were scheduled. */
  lateTicks: number;
  slips: number;
  late: TickHistogramSnapshot;
  spacing: TickHistogramSnapshot;
  work: TickHistogramSnapshot;
  inboundPhase: TickHistogramSnapshot;
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  heapUsedBytes: number;
  /** The native RTP pacer's counters (one per process), when it is loaded. */
  pacer?: PacerStats;
  /** Exceptions contained in the workers' ticks. */
  tickErrors: number;
}

/** Observations above `ms` in a snapshot (bucket bounds include 2 ms, so this is exact there). */
function above(h: TickHistogramSnapshot, boundsMs: readonly number[], ms: number): number {
  let n = 0;
  h.counts.forEach((c, i) => { if (i >= boundsMs.length || boundsMs[i] > ms) n += c; });
  return n;
}

export function summarizeLoads(loads: readonly WorkerLoad[], boundsMs: readonly number[]): MediaHealth {
  const late = mergeTickHistograms(loads.map((l) => l.late));
  const pacer = loads.find((l) => l.pacer)?.pacer;
  return {
    workers: loads.length,
    endpoints: loads.reduce((n, l) => n + l.endpoints, 0),
    packetsIn: loads.reduce((n, l) => n + l.packetsIn, 0),
    packetsOut: loads.reduce((n, l) => n + l.packetsOut, 0),
    ticks: loads.reduce((n, l) => n + l.ticks, 0),
    lateTicks: above(late, boundsMs, LATE_TICK_MS),
    slips: loads.reduce((n, l) => n + l.slips, 0),
    late,
    spacing: mergeTickHistograms(loads.map((l) => l.spacing)),
    work: mergeTickHistograms(loads.map((l) => l.work)),
    inboundPhase: mergeTickHistograms(loads.map((l) => l.inboundPhase)),
    gcCount: loads.reduce((n, l) => n + l.gcCount, 0),
    gcTotalMs: loads.reduce((n, l) => n + l.gcTotalMs, 0),
    gcMaxMs: loads.reduce((n, l) => Math.max(n, l.gcMaxMs), 0),
    heapUsedBytes: loads.reduce((n, l) => n + l.heapUsedBytes, 0),
    tickErrors: loads.reduce((n, l) => n + (l.tickErrors ?? 0), 0),
    ...(pacer ? { pacer } : {}),
  };
}
