// EngineMixer: core's Mixer port over one media-worker conference (src/media ConferenceHandle,
// mix-minus: each member hears everyone else). Members are EngineMediaEndpoints of the same
// worker — core dials every leg of a call near its first one (DialOptions.near) and creates
// the mixer near the first member; an endpoint of another worker joins through the engine's
// cross-worker relay (docs/media.md "Across workers").
// Per-member mute is the conference's own (updateConference({ muted })), not the endpoint's.
//
// The mix runs at 8 kHz: a G.711 leg joins as is, a leg at another media rate (L16/16000,
// Opus at 48 kHz) is resampled to 8 kHz and its mix back to its rate per member (src/media/engine
// conference-room.ts), so every codec can meet. Why not a 16 kHz wideband mix: measured
// (bench/media-mix.bench.ts, docs/benchmarks.md) a member off the mix rate costs ~100 µs per tick
// (two polyphase resamplers) against ~1.5 µs for one at the mix rate, and most conference legs
// are G.711 phones: a 16 kHz mix would make the common all-G.711 conference ~65× dearer for
// bandwidth those phones do not carry. PARTIAL: wideband legs therefore hear (and are heard in)
// narrowband; the engine mixes at any rate (createConference({ rate: 16000 })) but choosing the
// rate per conference (e.g. by its first leg's codec) is not done yet.
//
// play(): prompts play into the mix (ConferenceHandle.play); everyone hears them.
//
// Close cascade: close() closes the conference (members leave it and fall back to silence;
// their legs go on); afterwards add/setMuted reject and remove is a no-op. The conference
// closing by itself (worker exit, engine close) marks the mixer closed too.
import type { MediaEndpoint, MediaOperation, MediaResult, Mixer, MixerFactory, PlayItem } from '../core/index.ts';
import type { ConferenceHandle, MediaEngine } from '../media/index.ts';
import { EngineMediaEndpoint, toPlaySpecs } from './engine-media-endpoint.ts';

/** Mix rate: G.711's, whatever the members' codecs (see the top of this file for why). */
const MIX_RATE = 8000;

function engineEndpoint(ep: MediaEndpoint): EngineMediaEndpoint {
  if (!(ep instanceof EngineMediaEndpoint)) throw new TypeError('the engine mixer only mixes media-engine endpoints');
  return ep;
}

export class EngineMixer implements Mixer {
  readonly id: string;
  /** Members by endpoint id. */
  private readonly members = new Map<string, EngineMediaEndpoint>();

  constructor(private readonly conf: ConferenceHandle) {
    this.id = `mix-${conf.workerIndex}-${conf.id}`;
    conf.once('closed', () => this.members.clear());
  }

  get closed(): boolean {
    return this.conf.closed;
  }

  private check(): void {
    if (this.conf.closed) throw new Error(`mixer ${this.id} is closed`);
  }

  async add(endpoint: MediaEndpoint, opts: { muted?: boolean } = {}): Promise<void> {
    this.check();
    const ep = engineEndpoint(endpoint);
    await ep.handle.joinConference(this.conf, { muted: opts.muted ?? false });
    this.members.set(ep.id, ep);
  }

  async setMuted(endpoint: MediaEndpoint, muted: boolean): Promise<void> {
    this.check();
    const ep = this.members.get(endpoint.id);
    if (!ep) throw new Error(`${endpoint.id} is not in mixer ${this.id}`);
    await ep.handle.updateConference({ muted });
  }

  async remove(endpoint: MediaEndpoint): Promise<void> {
    const ep = this.members.get(endpoint.id);
    if (!ep) return;
    this.members.delete(endpoint.id);
    // A closed endpoint already left (the worker removes it from the room when it closes).
    if (this.conf.closed || ep.closed) return;
    await ep.handle.leaveConference().catch(() => {});
  }

  has(endpoint: MediaEndpoint): boolean {
    return this.members.has(endpoint.id);
  }

  async play(items: readonly PlayItem[], opts: { loop?: boolean } = {}): Promise<MediaOperation> {
    this.check();
    const op = await this.conf.play(toPlaySpecs(items), { loop: opts.loop ? 0 : 1 });
    const done: Promise<MediaResult> = op.done.then((r): MediaResult => {
      if (this.conf.closed) return { reason: 'closed' };
      switch (r.reason) {
        case 'finished': return { reason: 'completed' };
        case 'cancelled': return { reason: 'cancelled' };
        default: return { reason: 'failed', error: r.error ?? 'media error' };
      }
    });
    return {
      done,
      cancel: async () => {
        await this.conf.cancelPlay(op.id).catch(() => false);
        await done;
      },
    };
  }

  async close(): Promise<void> {
    this.members.clear();
    await this.conf.close();
  }
}

export class EngineMixerFactory implements MixerFactory {
  constructor(private readonly engine: MediaEngine) {}

  /**
   * A conference in `near`'s media worker; without `near`, in the least-loaded worker (a
   * conference opened before any leg; its legs must then be created near it).
   */
  async create(near?: MediaEndpoint): Promise<Mixer> {
    const conf = await this.engine.createConference({ ...(near ? { near: engineEndpoint(near).handle } : {}), rate: MIX_RATE });
    return new EngineMixer(conf);
  }
}
