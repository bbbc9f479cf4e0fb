/**
 * Moves a media worker's young-generation garbage collections (scavenges) off the send burst.
 *
 * Why: V8 scavenges when the new space fills, i.e. at whichever allocation crosses the line. In a
 * media worker the allocations are dgram's per-send objects (request, buffer list, closure) and
 * per-receive Buffers, and the send burst at the top of each tick is where they are densest — so
 * a scavenge lands mid-burst more often than not, and every packet behind it in the burst leaves
 * that much late (and the next interval of each of those streams is that much short): send
 * jitter. `afterTick()` runs once the tick's work is done, when the worker is about to sleep
 * ~15 ms anyway; if the new space would not hold about two more ticks of allocation, it
 * scavenges now (a minor GC of mostly garbage: ~0.1–0.5 ms), so the burst of the next tick runs
 * without one. It never does a major GC, and it gives up on its own when `gc` cannot be exposed.
 *
 * How: `--expose-gc` through v8.setFlagsFromString, then the `gc` function of a fresh vm context
 * (the flag is read when a context is created). The flag is process-wide: vm contexts created
 * later in this process also get a `gc` global, which is harmless.
 *
 * Sampling: v8.getHeapSpaceStatistics() allocates an array of ~8 small objects per call (measured
 * on Node 20: ~1.3 kB; v8.getHeapStatistics() is no better at ~600 B and cannot see the new space).
 * So the new space is not read every tick: after each reading, the next one is due in half the
 * ticks of headroom left before the threshold at the current growth rate (at least 1, at most
 * MAX_SAMPLE_GAP). Far from the threshold it reads about once a second; near it, every tick — so
 * the scavenge decision is taken on a fresh reading exactly when it matters, as when it read
 * every tick. Growth over a gap of k ticks counts as k ticks of growth/k (the decaying max then
 * sees the gap's mean, not its peak: the halved headroom is the margin for that).
 *
 * Must never: throw out of afterTick (the ticker's callback), or allocate much per tick.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Most ticks between two readings of the new space (1 s of 20 ms ticks). */
export const MAX_SAMPLE_GAP = 50;
/** Scavenge when the new space has less room than this many ticks of growth (the decision). */
const HEADROOM_TICKS = 2.5;

type MinorGc = (opts: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

export class GcSteer {
  private readonly gc: MinorGc | undefined;
  /** Bytes the new space grew by in recent ticks (decaying max), the budget we keep free. */
  private perTick = 0;
  private lastUsed = 0;
  /** Scavenges this steer started (off the burst). */
  steered = 0;
  /** Readings of the new space taken (getHeapSpaceStatistics calls), for tests and benches. */
  samples = 0;
  /** Ticks since the last reading, and how many ticks until the next one is due. */
  private sinceSample = 0;
  private nextSampleIn = 1;

  /** `enabled` default true; $SWITCHBOARD_MEDIA_GC_STEER=0 turns it off for comparisons. */
  constructor(enabled = process.env.SWITCHBOARD_MEDIA_GC_STEER !== '0') {
    if (!enabled) return;
    try {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as unknown;
      if (typeof gc === 'function') this.gc = gc as MinorGc;
    } catch {
      this.gc = undefined; // not available: the worker runs with V8's own GC timing
    }
  }

  get active(): boolean {
    return this.gc !== undefined;
  }

  /** Call after a tick's work: scavenge now if the next tick's burst would probably trigger one. */
  afterTick(): void {
    const gc = this.gc;
    if (!gc) return;
    this.sinceSample++;
    if (this.sinceSample < this.nextSampleIn) return;
    try {
      const ns = newSpace();
      this.samples++;
      const ticks = this.sinceSample;
      this.sinceSample = 0;
      this.nextSampleIn = 1;
      if (!ns) return;
      const used = ns.space_used_size;
      const grew = (used - this.lastUsed) / ticks;
      // Decaying max of the growth per tick (a scavenge in between shows as negative growth).
      this.perTick = Math.max(grew > 0 ? grew : 0, this.perTick * 0.98 ** ticks);
      this.lastUsed = used;
      const room = ns.space_available_size - HEADROOM_TICKS * this.perTick;
      if (room < 0) {
        gc({ type: 'minor' });
        this.steered++;
        const after = newSpace();
        this.samples++;
        this.lastUsed = after ? after.space_used_size : 0;
        return;
      }
      // Half the ticks of headroom left at the current rate: fresh readings near the threshold.
      const gap = this.perTick > 0 ? Math.floor(room / this.perTick / 2) : MAX_SAMPLE_GAP;
      this.nextSampleIn = Math.max(1, Math.min(MAX_SAMPLE_GAP, gap));
    } catch {
      // Never disturb the tick.
    }
  }
}

/** The new space's statistics (one getHeapSpaceStatistics() call), or undefined if V8 has none. */
function newSpace(): { space_used_size: number; space_available_size: number } | undefined {
  for (const s of getHeapSpaceStatistics()) if (s.space_name === 'new_space') return s;
  return undefined;
}
