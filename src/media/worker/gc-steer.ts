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
 * Must never: throw out of afterTick (the ticker's callback), or allocate much per tick (one
 * getHeapSpaceStatistics() array of ~8 small objects).
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type MinorGc = (opts: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

export class GcSteer {
  private readonly gc: MinorGc | undefined;
  /** Bytes the new space grew by in recent ticks (decaying max), the budget we keep free. */
  private perTick = 0;
  private lastUsed = 0;
  /** Scavenges this steer started (off the burst). */
  steered = 0;

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
    try {
      let ns: { space_used_size: number; space_available_size: number } | undefined;
      for (const s of getHeapSpaceStatistics()) if (s.space_name === 'new_space') ns = s;
      if (!ns) return;
      const used = ns.space_used_size;
      const grew = used - this.lastUsed;
      // Decaying max of the growth per tick (a scavenge in between shows as negative growth).
      this.perTick = Math.max(grew > 0 ? grew : 0, this.perTick * 0.98);
      this.lastUsed = used;
      if (ns.space_available_size < 2.5 * this.perTick) {
        gc({ type: 'minor' });
        this.steered++;
        this.lastUsed = 0;
        for (const s of getHeapSpaceStatistics()) if (s.space_name === 'new_space') this.lastUsed = s.space_used_size;
      }
    } catch {
      // Never disturb the tick.
    }
  }
}
