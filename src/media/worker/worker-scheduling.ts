/**
 * How a media worker thread asks for the CPU: its own nice value, and the native RTP pacer's
 * real-time thread (engine/native-pacer.ts). Both are asked for once at worker start; each returns
 * a warning for the engine to log when the system refuses (no CAP_SYS_NICE), because the send
 * jitter measured in docs/benchmarks.md needs them.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { NativePacer } from '../engine/index.ts';

/**
 * Start the native pacer's thread now (not at the first call) so that a missing privilege is
 * said at start-up: without real-time scheduling its sends compete with the workers' ticks and
 * the send-jitter numbers of docs/benchmarks.md do not hold. Returns a warning, or undefined.
 */
export function startPacer(pacer: NativePacer | undefined): string | undefined {
  if (!pacer) return undefined;
  try {
    const sched = pacer.start();
    return sched.startsWith('SCHED_FIFO') ? undefined : `the native RTP pacer runs at ${sched}, not real-time (SCHED_FIFO needs CAP_SYS_NICE): outbound send jitter may suffer under load`;
  } catch (err) {
    return `the native RTP pacer could not start (${(err as Error).message})`;
  }
}

/**
 * Raise this thread's priority (Linux: setpriority on the thread id works per thread) so that on
 * a busy machine the ticker is not the one waiting for a CPU: OS run-queue delay is the largest
 * source of send jitter once a worker carries hundreds of calls. Returns a warning if not allowed.
 */
export function applyThreadNice(nice: number | undefined): string | undefined {
  if (nice === undefined) return undefined;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    setPriority(tid, nice);
    return undefined;
  } catch (err) {
    return `media worker threads keep the default priority (nice ${nice} not allowed: ${(err as Error).message}); send jitter may suffer on a busy machine`;
  }
}
